"""R114: payout batches sent to the payment provider, and each payout's place in them.

A batch is the provider's bulk-transfer file: one `PayoutItem` per payout, with the payee
(account, name), the amount and a reference of its own. An item is open until the provider's
result for it comes back (the result file, or a `payout.settled` / `payout.failed` event);
a batch is open while any of its items is. A payout is never in two open batches: at most
one open item per payout, a database constraint (`payout_item_one_open_per_payout`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from claims.models import MONEY, Payout
from portal.fsm import SYSTEM_ONLY, state_field


class BatchState(models.TextChoices):
    OPEN = "open", _("Open: results outstanding")
    CLOSED = "closed", _("Closed: every result in")


class PayoutBatch(FSMModelMixin, models.Model):
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    state = state_field(BatchState.OPEN, max_length=10)
    payouts = models.PositiveIntegerField(_("payouts"))
    total = models.DecimalField(_("total"), **MONEY)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payout batch")
        verbose_name_plural = _("payout batches")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return _("Payout batch %(number)s") % {"number": self.number}

    @property
    def number(self) -> str:
        return f"B{self.pk:06d}"

    @property
    def file_name(self) -> str:
        return f"warranty-payouts-{self.number}.csv"

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=BatchState.OPEN, target=BatchState.CLOSED, permission=SYSTEM_ONLY
    )
    def close(self, *, by=None, at, description=""):
        """The last outstanding result came in."""
        self.closed_at = at


class ItemResult(models.TextChoices):
    OPEN = "", _("Awaiting the provider's result")
    SETTLED = "settled", _("Settled")
    FAILED = "failed", _("Failed")


class PayoutItem(models.Model):
    """One row of a batch's bulk-transfer file: what was sent, and what came back."""

    batch = models.ForeignKey(
        PayoutBatch, on_delete=models.PROTECT, related_name="items", verbose_name=_("batch")
    )
    payout = models.ForeignKey(
        Payout, on_delete=models.PROTECT, related_name="items", verbose_name=_("payout")
    )
    reference = models.CharField(_("payout reference"), max_length=40, unique=True)
    payee_account = models.CharField(_("payee account"), max_length=100)
    payee_name = models.CharField(_("payee name"), max_length=100)
    amount = models.DecimalField(_("amount"), **MONEY)
    result = models.CharField(
        _("result"), max_length=10, choices=ItemResult.choices, blank=True, default=""
    )
    provider_reference = models.CharField(_("provider reference"), max_length=100, blank=True)
    reason = models.CharField(_("failure reason"), max_length=300, blank=True)
    result_at = models.DateTimeField(_("result at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payout in a batch")
        verbose_name_plural = _("payouts in batches")
        ordering = ["id"]
        constraints = [
            # R114: a payout is never in two open batches, whatever the concurrency.
            models.UniqueConstraint(
                fields=["payout"], condition=Q(result=""), name="payout_item_one_open_per_payout"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_item_positive"),
            models.CheckConstraint(
                condition=Q(result="") | Q(result_at__isnull=False),
                name="payout_item_result_dated",
            ),
        ]
        indexes = [models.Index(fields=["batch", "result"], name="payout_item_batch_result")]

    def __str__(self):
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.result == ItemResult.OPEN
