"""Refund requests: every one a buyer makes, covered by the warranty or not (R30, R44)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from claims.models.buyers import Buyer
from claims.models.orders import Order, OrderLine
from claims.models.rules import MONEY
from enrollment.models import Shop
from portal.fsm import SYSTEM_ONLY, state_field


class RefundKind(models.TextChoices):
    REFUND_ONLY = "refund_only", _("Refund only")
    RETURN_AND_REFUND = "return_and_refund", _("Return and refund")


class RefundReason(models.TextChoices):
    QUALITY_ISSUE = "quality_issue", _("Quality problem")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    DAMAGED_OR_STAINED = "damaged_or_stained", _("Packaging or item damaged or stained")
    NO_LONGER_NEEDED = "no_longer_needed", _("No longer needed")
    WRONG_SIZE = "wrong_size", _("Wrong size or model")
    OTHER = "other", _("Other")


COVERED_REASONS = {
    RefundReason.QUALITY_ISSUE,
    RefundReason.NOT_AS_DESCRIBED,
    RefundReason.DAMAGED_OR_STAINED,
}


class NotCoveredReason(models.TextChoices):
    """R30/R44: why a request stayed with the merchant (API names of R87)."""

    NO_POLICY = "no_policy", _("The order has no policy")
    BEFORE_RECEIPT = "before_receipt", _("Requested before the buyer confirmed receipt")
    OUTSIDE_WINDOW = "outside_window", _("Requested more than 720 hours after receipt")
    REASON_NOT_COVERED = "reason_not_covered", _("The reason chosen is not covered")
    BUYER_INELIGIBLE = "buyer_ineligible", _("The buyer's eligibility was revoked")


class RefundState(models.TextChoices):
    RECORDED = "recorded", _("Recorded")
    CANCELLED = "cancelled", _("Withdrawn by the buyer")


class RefundRequest(FSMModelMixin, models.Model):
    """Every refund request a buyer makes on a line, covered or not (R30, R44)."""

    platform_refund_id = models.CharField(_("refund id"), max_length=64, unique=True)
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("order")
    )
    line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("sub-order")
    )
    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("shop")
    )
    buyer = models.ForeignKey(
        Buyer, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("buyer")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RefundKind.choices)
    reason = models.CharField(_("reason"), max_length=32)
    amount = models.DecimalField(_("requested amount"), **MONEY)
    description = models.TextField(_("description"), blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    covered = models.BooleanField(_("warranty-card claim"))
    not_covered_reason = models.CharField(
        _("why not covered"), max_length=24, choices=NotCoveredReason.choices, blank=True
    )
    state = state_field(RefundState.RECORDED, max_length=10)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    content_hash = models.CharField(
        max_length=64, verbose_name=_("content fingerprint")
    )  # a repeated refund id must repeat its content

    class Meta:
        verbose_name = _("refund request")
        verbose_name_plural = _("refund requests")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(covered=True, not_covered_reason="")
                | (Q(covered=False) & ~Q(not_covered_reason="")),
                name="refund_covered_xor_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "-requested_at", "-id"]),
            models.Index(fields=["shop", "covered", "-requested_at"]),
            models.Index(fields=["buyer", "requested_at"]),
            # the list sorted by amount, either way (issue 11)
            models.Index(fields=["shop", "-amount", "-id"], name="refund_shop_amount_idx"),
        ]

    def __str__(self):
        return self.platform_refund_id

    def get_reason_display(self):
        try:
            return RefundReason(self.reason).label
        except ValueError:
            return self.reason

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=RefundState.RECORDED,
        target=RefundState.CANCELLED,
        permission=SYSTEM_ONLY,
    )
    def cancel(self, *, by=None, at, description=""):
        """The buyer withdrew the request (the platform's refund.cancelled)."""
        self.cancelled_at = at
