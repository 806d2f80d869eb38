"""The insurer's settings of the claims process (R39): deadlines and the fast track."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from claims.models.rules import MONEY


class ClaimSettings(models.Model):
    """Insurer settings of the claims process (one row). Never shown to merchants (R39)."""

    review_hours = models.PositiveIntegerField(_("review deadline (hours)"), default=24)
    return_days = models.PositiveIntegerField(_("return tracking deadline (days)"), default=7)
    receipt_days = models.PositiveIntegerField(_("merchant receipt deadline (days)"), default=10)
    fast_track_enabled = models.BooleanField(_("fast track enabled"), default=True)
    fast_track_min_credit_tier = models.PositiveSmallIntegerField(
        _("fast track: lowest buyer credit tier"), default=4
    )
    fast_track_max_amount = models.DecimalField(
        _("fast track: highest amount"), default=Decimal("300.00"), **MONEY
    )
    fast_track_max_recent_claims = models.PositiveSmallIntegerField(
        _("fast track: most claims of the buyer in the last 90 days"), default=2
    )

    class Meta:
        verbose_name = _("claim settings")
        verbose_name_plural = _("claim settings")

    def __str__(self):
        return str(_("Claim settings"))

    @classmethod
    def current(cls) -> "ClaimSettings":
        return cls.objects.order_by("pk").first() or cls.objects.create()
