"""The warranty-card claim and its R41 state machine (R31-R42)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from claims.models.buyers import Buyer
from claims.models.orders import OrderLine, Policy
from claims.models.refunds import RefundKind, RefundRequest
from claims.models.rules import MONEY, REVIEW_PERMISSION
from enrollment.models import Shop
from portal.fsm import SYSTEM_ONLY, is_shop_merchant, state_field


class ClaimState(models.TextChoices):
    """R41: exact names, used by the API (R87)."""

    SUBMITTED = "submitted", _("Under insurer review")
    APPROVED = "approved", _("Approved")
    AWAITING_RETURN = "awaiting_return", _("Awaiting return")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled by the buyer")
    RETURN_SHIPPED = "return_shipped", _("Return on its way")
    CLOSED_TIMEOUT = "closed_timeout", _("Closed: no return in time")
    RECEIVED = "received", _("Return received")
    RECEIPT_REFUSED = "receipt_refused", _("Receipt refused")
    CLOSED_REFUSED = "closed_refused", _("Closed: refusal upheld")
    REFUNDED = "refunded", _("Refunded")
    PAID = "paid", _("Paid")


OPEN_CLAIM_STATES = [
    ClaimState.SUBMITTED,
    ClaimState.APPROVED,
    ClaimState.AWAITING_RETURN,
    ClaimState.RETURN_SHIPPED,
    ClaimState.RECEIVED,
    ClaimState.RECEIPT_REFUSED,
    ClaimState.REFUNDED,
]
CLOSED_CLAIM_STATES = [
    ClaimState.REJECTED,
    ClaimState.CANCELLED,
    ClaimState.CLOSED_TIMEOUT,
    ClaimState.CLOSED_REFUSED,
]


class RefusalGround(models.TextChoices):
    """R34: the only grounds on which a merchant may refuse a return."""

    MISSING_ITEMS = "missing_items", _("Missing items")
    EMPTY_PARCEL = "empty_parcel", _("Empty parcel")
    WRONG_ITEM = "wrong_item", _("Wrong item")
    FAKE_LOGISTICS = "fake_logistics", _("Fake logistics")


def _is_refund_only(claim) -> bool:
    return claim.kind == RefundKind.REFUND_ONLY


def _is_return(claim) -> bool:
    return claim.kind == RefundKind.RETURN_AND_REFUND


# R32: the review queue's rank (claims.selectors.claim_queue): reviews, refusals to rule on,
# the rest. Indexed with the review deadline ("claim_queue_idx").
CLAIM_QUEUE_RANK = models.Case(
    models.When(state=ClaimState.SUBMITTED, then=models.Value(0)),
    models.When(state=ClaimState.RECEIPT_REFUSED, then=models.Value(1)),
    default=models.Value(2),
    output_field=models.IntegerField(),
)


class Claim(FSMModelMixin, models.Model):
    """A warranty-card (质保卡) claim: a covered refund request handled by the insurer."""

    refund = models.OneToOneField(
        RefundRequest,
        on_delete=models.PROTECT,
        related_name="claim",
        verbose_name=_("refund request"),
    )
    # The refund's sub-order, kept on the claim so the database holds "one live claim per
    # sub-order" (R42 whatever the concurrency; constraint "claim_one_live_per_line").
    line = models.ForeignKey(
        OrderLine,
        on_delete=models.PROTECT,
        null=True,
        related_name="claims",
        verbose_name=_("sub-order"),
    )
    policy = models.ForeignKey(
        Policy, on_delete=models.PROTECT, related_name="claims", verbose_name=_("policy")
    )
    # No index of their own: the shop's, the buyer's and the state's lookups lead the
    # composite indexes in Meta, and every index is written again at each transition
    # (issue 10: 19 indexes made the sweep's UPDATE of 2,000 claims its slowest statement).
    shop = models.ForeignKey(
        Shop,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("shop"),
        db_index=False,
    )
    buyer = models.ForeignKey(
        Buyer,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("buyer"),
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RefundKind.choices)
    state = state_field(ClaimState.SUBMITTED, max_length=20)
    amount = models.DecimalField(_("requested amount"), **MONEY)
    payable_cap = models.DecimalField(_("payable cap"), **MONEY)
    submitted_at = models.DateTimeField(_("submitted at"))
    # R90: deadlines are stored when the claim enters the state.
    review_due_at = models.DateTimeField(_("review due"))
    review_overdue = models.BooleanField(_("review overdue"), default=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by_system = models.BooleanField(_("decided by the system"), default=False)
    # The reviewer who decided (None: the system, R39, or a decision before issue 11); the
    # reviewers' SLA view groups by it (claims/sla.py).
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_rule = models.CharField(_("rule"), max_length=200, blank=True)
    fast_tracked = models.BooleanField(_("fast-tracked"), default=False)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    return_address = models.CharField(_("return address"), max_length=400, blank=True)
    return_due_at = models.DateTimeField(_("return tracking due"), null=True, blank=True)
    return_carrier = models.CharField(_("carrier"), max_length=50, blank=True)
    return_tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    return_shipped_at = models.DateTimeField(_("return shipped at"), null=True, blank=True)
    receipt_due_at = models.DateTimeField(_("merchant receipt due"), null=True, blank=True)
    refusal_ground = models.CharField(
        _("refusal ground"), max_length=20, choices=RefusalGround.choices, blank=True
    )
    refusal_note = models.TextField(_("refusal note"), blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        permissions = [("decide_claim", "Can decide claims and rule on refused receipts")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="claim_amount_positive"),
            # R42: a sub-order has at most one claim in progress or paid, whatever the
            # concurrency; a rejected, cancelled or closed claim does not block a new request.
            models.UniqueConstraint(
                fields=["line"],
                condition=Q(state__in=[*OPEN_CLAIM_STATES, ClaimState.PAID]),
                name="claim_one_live_per_line",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "review_due_at"]),
            # R33, R38: the returns and receipts due (the sweep; a receipt deadline coming, in
            # notifications), each indexed only while the claim is in that state: a claim that
            # leaves it writes no entry there (issue 10: on every claim update, two indexes of
            # fifteen fewer; the sweep 3-7% faster, bench/RESULTS.md).
            models.Index(
                fields=["return_due_at"],
                condition=Q(state=ClaimState.AWAITING_RETURN),
                name="claim_return_due_idx",
            ),
            models.Index(
                fields=["receipt_due_at"],
                condition=Q(state=ClaimState.RETURN_SHIPPED),
                name="claim_receipt_due_idx",
            ),
            models.Index(fields=["shop", "state", "-submitted_at"]),
            models.Index(fields=["buyer", "submitted_at"]),
            models.Index(
                CLAIM_QUEUE_RANK, models.F("review_due_at"), models.F("id"), name="claim_queue_idx"
            ),
            # The reviewers' queue filtered by shop, in queue order (claims.admin_queue).
            models.Index(
                models.F("shop"),
                CLAIM_QUEUE_RANK,
                models.F("review_due_at"),
                models.F("id"),
                name="claim_shop_queue_idx",
            ),
            models.Index(
                fields=["shop", "state", "review_due_at", "id"], name="claim_shop_state_due_idx"
            ),
            # The reviewers' SLA view (claims/sla.py): decisions of the last 30 days read from
            # this index alone (the deadline and the reviewer are in it).
            models.Index(
                fields=["decided_at", "review_due_at", "decided_by"], name="claim_decided_sla_idx"
            ),
        ]

    def __str__(self):
        return _("Claim %(refund)s") % {"refund": self.refund.platform_refund_id}

    @property
    def payable(self) -> Decimal:
        """R36: the payout: the refund amount, at most the line's paid amount + 10.00."""
        return min(self.amount, self.payable_cap)

    @property
    def is_review_overdue(self) -> bool:
        return self.state == ClaimState.SUBMITTED and timezone.now() > self.review_due_at

    # --- R41 transitions: guards and field assignments only ---

    def _record_decision(self, *, by, at):
        """R32: the review's decision: who (None: the system, R39) and when; overdue is
        judged by the decision's time."""
        self.decided_at = at
        self.decided_by = by
        self.review_overdue = at > self.review_due_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=ClaimState.SUBMITTED,
        target=ClaimState.APPROVED,
        conditions=[_is_refund_only],
        permission=REVIEW_PERMISSION,
    )
    def approve_refund(self, *, by=None, at, description=""):
        self._record_decision(by=by, at=at)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=ClaimState.SUBMITTED,
        target=ClaimState.AWAITING_RETURN,
        conditions=[_is_return],
        permission=REVIEW_PERMISSION,
    )
    def approve_return(self, *, by=None, at, return_due_at, return_address, description=""):
        """R33: the buyer gets the shop's return address and a tracking deadline."""
        self._record_decision(by=by, at=at)
        self.return_due_at = return_due_at
        self.return_address = return_address

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=ClaimState.SUBMITTED,
        target=ClaimState.REJECTED,
        permission=REVIEW_PERMISSION,
    )
    def reject(self, *, by=None, at, description):
        self._record_decision(by=by, at=at)
        self.rejection_reason = description
        self.closed_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        # CLOSED_TIMEOUT: the buyer withdrew before the return deadline, reported after the
        # sweep closed the claim (the service checks the withdrawal's own time, R33).
        source=[ClaimState.SUBMITTED, ClaimState.AWAITING_RETURN, ClaimState.CLOSED_TIMEOUT],
        target=ClaimState.CANCELLED,
        permission=SYSTEM_ONLY,
    )
    def cancel(self, *, by=None, at, description=""):
        self.closed_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        # CLOSED_TIMEOUT: a return shipped before its deadline but reported after the sweep
        # closed the claim reopens it (the service checks the shipment's own time, R33).
        source=[ClaimState.AWAITING_RETURN, ClaimState.CLOSED_TIMEOUT],
        target=ClaimState.RETURN_SHIPPED,
        permission=SYSTEM_ONLY,
    )
    def ship_return(self, *, by=None, at, carrier, tracking_number, receipt_due_at, description=""):
        self.return_carrier = carrier
        self.return_tracking_number = tracking_number
        self.return_shipped_at = at
        self.receipt_due_at = receipt_due_at
        self.closed_at = None

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=ClaimState.AWAITING_RETURN,
        target=ClaimState.CLOSED_TIMEOUT,
        permission=SYSTEM_ONLY,
    )
    def close_timeout(self, *, by=None, at, description=""):
        """R33: no tracking number in time: closed, no payout."""
        self.closed_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=ClaimState.RETURN_SHIPPED,
        target=ClaimState.RECEIVED,
        permission=is_shop_merchant,  # or the system when the receipt deadline passes (R38)
    )
    def confirm_receipt(self, *, by=None, at, description=""):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=ClaimState.RETURN_SHIPPED,
        target=ClaimState.RECEIPT_REFUSED,
        permission=is_shop_merchant,
    )
    def refuse_receipt(self, *, by=None, at, ground, description=""):
        """R34: only for missing items, empty parcel, wrong item, fake logistics."""
        self.refusal_ground = ground
        self.refusal_note = description

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=ClaimState.RECEIPT_REFUSED,
        target=ClaimState.RECEIVED,
        permission=REVIEW_PERMISSION,
    )
    def overrule_refusal(self, *, by=None, at, description=""):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=ClaimState.RECEIPT_REFUSED,
        target=ClaimState.CLOSED_REFUSED,
        permission=REVIEW_PERMISSION,
    )
    def uphold_refusal(self, *, by=None, at, description=""):
        self.closed_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[ClaimState.APPROVED, ClaimState.RECEIVED],
        target=ClaimState.REFUNDED,
        permission=SYSTEM_ONLY,
    )
    def complete_refund(self, *, by=None, at, description=""):
        """R35: the refund completes (refund-only on approval, returns on receipt)."""
        self.refunded_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=ClaimState.REFUNDED, target=ClaimState.PAID, permission=SYSTEM_ONLY
    )
    def mark_paid(self, *, by=None, at, description=""):
        self.closed_at = at
