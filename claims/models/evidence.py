"""Evidence images (R85, R102), stored privately through Django's storage API."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from claims.models.buyers import BuyerFeedback
from claims.models.claim import Claim
from claims.models.refunds import RefundRequest
from enrollment.models import Shop


def evidence_path(instance, filename):
    # Private storage: a path that guesses nothing about the shop; never served by URL (R102).
    digest = instance.sha256
    return f"evidence/{timezone.now():%Y/%m}/{digest[:2]}/{digest}.{instance.extension}"


class EvidenceKind(models.TextChoices):
    BUYER = "buyer", _("Buyer's evidence")
    REFUSAL = "refusal", _("Merchant's refusal evidence")
    FEEDBACK = "feedback", _("Buyer feedback evidence")


class Evidence(models.Model):
    """R85/R102: an image verified by decoding, stored privately through Django's storage API."""

    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("shop")
    )
    refund = models.ForeignKey(
        RefundRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name=_("refund request"),
    )
    claim = models.ForeignKey(
        Claim,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name=_("claim"),
    )
    feedback = models.ForeignKey(
        BuyerFeedback,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name=_("buyer feedback"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=EvidenceKind.choices)
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=40, verbose_name=_("file type"))
    width = models.PositiveIntegerField(verbose_name=_("width (px)"))
    height = models.PositiveIntegerField(verbose_name=_("height (px)"))
    size = models.PositiveIntegerField(verbose_name=_("size (bytes)"))
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256 fingerprint"))
    uploaded_at = models.DateTimeField(default=timezone.now, verbose_name=_("uploaded at"))

    class Meta:
        verbose_name = _("evidence image")
        verbose_name_plural = _("evidence images")

    def __str__(self):
        return self.original_name

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[self.content_type]
