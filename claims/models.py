"""Orders, policies, refund requests, claims, payouts and abnormal buyers.

Rules R20-R44 and R60-R62. Models hold fields, constraints and FSM transitions (guards
and field assignments only); every write goes through `claims.services`.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from enrollment.models import Shop
from portal.fsm import SYSTEM_ONLY, is_shop_merchant, state_field

MONEY = {"max_digits": 14, "decimal_places": 2}  # R1
RETURN_SHIPPING = Decimal("10.00")  # R36: fixed return shipping added to the payout cap
BUYER_SHIPPING_COMPENSATION = Decimal("10.00")  # R37
BREACH_POINTS_PER_SUB_ORDER = 10_000  # R38
COVERAGE_HOURS = 720  # R23
REVIEW_PERMISSION = "claims.decide_claim"
BUYER_PERMISSION = "claims.change_buyer"  # R62: revoke a buyer's eligibility
BREACH_PERMISSION = "claims.change_servicebreach"  # R38: mark the points granted


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


class Eligibility(models.TextChoices):
    ELIGIBLE = "eligible", _("Eligible")
    REVOKED = "revoked", _("Eligibility revoked")


class Buyer(FSMModelMixin, models.Model):
    platform_buyer_id = models.CharField(_("platform buyer id"), max_length=64, unique=True)
    credit_tier = models.PositiveSmallIntegerField(_("credit tier"), default=3)
    # R62: the insurer may strip a buyer of the service (a transition, R40).
    eligibility = state_field(Eligibility.ELIGIBLE, max_length=10, verbose_name=_("eligibility"))
    revoked_at = models.DateTimeField(_("eligibility revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revoke_reason = models.TextField(_("reason"), blank=True)
    credit_impact = models.CharField(_("credit impact recorded"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("buyer")
        verbose_name_plural = _("buyers")
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_tier__gte=1) & Q(credit_tier__lte=5),
                name="buyer_credit_tier_1_5",
            )
        ]

    def __str__(self):
        return self.platform_buyer_id

    @property
    def eligible(self) -> bool:
        return self.eligibility == Eligibility.ELIGIBLE

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=eligibility,
        source=Eligibility.ELIGIBLE,
        target=Eligibility.REVOKED,
        permission=BUYER_PERMISSION,
    )
    def revoke(self, *, by=None, at, description, credit_impact):
        """R62: later requests from this buyer are merchant-handled; credit impact recorded."""
        self.revoked_at = at
        self.revoked_by = by
        self.revoke_reason = description
        self.credit_impact = credit_impact


class Order(models.Model):
    platform_order_id = models.CharField(_("order id"), max_length=64, unique=True)
    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="orders", verbose_name=_("shop")
    )
    buyer = models.ForeignKey(
        Buyer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("buyer")
    )
    paid_amount = models.DecimalField(_("paid amount"), **MONEY)
    placed_at = models.DateTimeField(_("placed at"))
    # R20: decided once, at placement: was the shop enrolled then, and at what rate (R22)?
    insured = models.BooleanField(_("insured"))
    rate = models.DecimalField(_("premium rate"), max_digits=6, decimal_places=4, null=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="order_paid_not_negative"),
            models.CheckConstraint(
                condition=Q(insured=False) | Q(rate__isnull=False), name="order_insured_has_rate"
            ),
        ]

    def __str__(self):
        return self.platform_order_id


class OrderLine(models.Model):
    """A sub-order (子订单)."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order")
    )
    platform_line_id = models.CharField(_("sub-order id"), max_length=64)
    sku = models.CharField(_("SKU"), max_length=64)
    title = models.CharField(_("item"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity"))
    paid_amount = models.DecimalField(_("paid amount"), **MONEY)

    class Meta:
        verbose_name = _("sub-order")
        verbose_name_plural = _("sub-orders")
        constraints = [
            models.UniqueConstraint(
                fields=["order", "platform_line_id"], name="line_unique_in_order"
            ),
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="line_paid_not_negative"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="line_quantity_positive"),
        ]
        indexes = [models.Index(fields=["sku"])]

    def __str__(self):
        return f"{self.order.platform_order_id}/{self.platform_line_id}"

    @property
    def payable_cap(self) -> Decimal:
        """R36: the most a claim on this line pays: the line's paid amount + 10.00."""
        return self.paid_amount + RETURN_SHIPPING


class PolicyClaimStatus(models.TextChoices):
    NONE = "none", _("No claim")
    IN_PROGRESS = "claim_in_progress", _("Claim in progress")
    PAID = "claim_paid", _("Claim paid")
    CLOSED = "claim_closed", _("Claim closed")


def policy_claim_status(open_: int, paid: int, closed: int) -> str:
    """R24: a policy shows its claims' outcome: in progress while any claim is open, else
    paid if any was paid, else closed if any closed (counts of its claims in each)."""
    if open_:
        return PolicyClaimStatus.IN_PROGRESS
    if paid:
        return PolicyClaimStatus.PAID
    if closed:
        return PolicyClaimStatus.CLOSED
    return PolicyClaimStatus.NONE


class PolicyStatus(models.TextChoices):
    """R24, with the API's snake_case names (R87)."""

    AWAITING_RECEIPT = "awaiting_receipt", _("Awaiting receipt")
    IN_COVERAGE = "in_coverage", _("In coverage")
    EXPIRED = "expired", _("Expired")
    CLAIM_IN_PROGRESS = "claim_in_progress", _("Claim in progress")
    CLAIM_PAID = "claim_paid", _("Claim paid")
    CLAIM_CLOSED = "claim_closed", _("Claim closed")


class Policy(models.Model):
    """R21: one policy per order, issued at shipment, covering every line."""

    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, related_name="policy", verbose_name=_("order")
    )
    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="policies", verbose_name=_("shop")
    )
    policy_no = models.CharField(_("policy number"), max_length=32, unique=True)
    premium = models.DecimalField(_("premium"), **MONEY)
    rate = models.DecimalField(_("premium rate"), max_digits=6, decimal_places=4)
    issued_at = models.DateTimeField(_("issued at"))
    coverage_start = models.DateTimeField(_("coverage start"), null=True, blank=True)
    coverage_end = models.DateTimeField(_("coverage end"), null=True, blank=True)
    # Kept by the claim services so lists can filter by status without joining claims.
    claim_status = models.CharField(
        max_length=20,
        choices=PolicyClaimStatus.choices,
        default=PolicyClaimStatus.NONE,
        verbose_name=_("claim status"),
    )

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        constraints = [
            models.CheckConstraint(condition=Q(premium__gte=0), name="policy_premium_not_negative"),
        ]
        indexes = [
            models.Index(fields=["shop", "-issued_at", "-id"]),
            models.Index(fields=["shop", "claim_status", "coverage_end"]),
            # the list filtered by status (R24), newest first (issue 10)
            models.Index(
                fields=["shop", "claim_status", "-issued_at", "-id"], name="policy_shop_status_idx"
            ),
            # the list sorted by premium, either way (issue 11)
            models.Index(fields=["shop", "-premium", "-id"], name="policy_shop_premium_idx"),
            models.Index(
                fields=["shop", "claim_status", "-premium", "-id"],
                name="policy_status_premium_idx",
            ),
        ]

    def __str__(self):
        return self.policy_no

    def status(self, now: dt.datetime | None = None) -> str:
        """R24: what the merchant sees."""
        if self.claim_status != PolicyClaimStatus.NONE:
            return self.claim_status
        if self.coverage_start is None:
            return PolicyStatus.AWAITING_RECEIPT
        now = now or timezone.now()
        return PolicyStatus.IN_COVERAGE if now <= self.coverage_end else PolicyStatus.EXPIRED

    def get_status_display(self):
        return PolicyStatus(self.status()).label


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
    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="claims", verbose_name=_("shop")
    )
    buyer = models.ForeignKey(
        Buyer, on_delete=models.PROTECT, related_name="claims", verbose_name=_("buyer")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RefundKind.choices)
    state = state_field(ClaimState.SUBMITTED, max_length=20, db_index=True)
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
            models.Index(fields=["state", "return_due_at"]),
            models.Index(fields=["state", "receipt_due_at"]),
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
        self.decided_at = at
        self.decided_by = by
        self.review_overdue = at > self.review_due_at  # R32: judged by the decision's time

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
        self.decided_at = at
        self.decided_by = by
        self.review_overdue = at > self.review_due_at
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
        self.decided_at = at
        self.decided_by = by
        self.review_overdue = at > self.review_due_at
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


class PayoutState(models.TextChoices):
    """R114: a payout through the payment provider."""

    PENDING = "pending", _("Pending")
    SUBMITTED = "submitted", _("Submitted to the provider")
    SETTLED = "settled", _("Settled")
    FAILED = "failed", _("Failed")


PAYOUT_PERMISSION = "claims.run_payouts"  # R101/R114: finance runs the provider's batches


class Payout(FSMModelMixin, models.Model):
    """R35/R36: the claim paid to the shop's bound Alipay account. One per claim (R42).

    `paid_at` is when the claim was paid (the payout became owed, R35); the money then goes
    out through the payment provider (R114, the `payouts` app): pending -> submitted (in a
    batch) -> settled | failed; a failed payout goes back to pending once the account is
    fixed. `alipay_account` and `alipay_name` are the payee of the latest submission."""

    claim = models.OneToOneField(
        Claim, on_delete=models.PROTECT, related_name="payout", verbose_name=_("claim")
    )
    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="payouts", verbose_name=_("shop")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    alipay_account = models.CharField(_("Alipay account"), max_length=100)
    paid_at = models.DateTimeField(_("paid at"))
    # R114 (the sweep's INSERT … SELECT and bench/dataset.py write these columns too)
    state = state_field(PayoutState.PENDING, max_length=10)
    alipay_name = models.CharField(_("Alipay account name"), max_length=100, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    provider_reference = models.CharField(_("provider reference"), max_length=100, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("claim payout")
        verbose_name_plural = _("claim payouts")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payout_positive")]
        indexes = [
            models.Index(fields=["shop", "-paid_at"]),
            # the list sorted by amount, either way (issue 11)
            models.Index(fields=["shop", "-amount", "-id"], name="payout_shop_amount_idx"),
            models.Index(fields=["state", "paid_at"], name="payout_state_paid_at"),
        ]
        permissions = [("run_payouts", "Can run payout batches and record their results")]

    def __str__(self):
        return f"{self.claim_id}: {self.amount}"

    # --- transitions (R114; audit rows by django-fsm-log, R40) ---

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=PayoutState.PENDING,
        target=PayoutState.SUBMITTED,
        permission=PAYOUT_PERMISSION,
    )
    def submit(self, *, by=None, at, description="", payee_account: str, payee_name: str):
        """In a batch sent to the provider, to this payee."""
        self.submitted_at = at
        self.alipay_account = payee_account
        self.alipay_name = payee_name

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=PayoutState.SUBMITTED,
        target=PayoutState.SETTLED,
        permission=PAYOUT_PERMISSION,
    )
    def settle(self, *, by=None, at, description="", provider_reference: str):
        self.settled_at = at
        self.provider_reference = provider_reference
        self.failure_reason = ""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=PayoutState.SUBMITTED,
        target=PayoutState.FAILED,
        permission=PAYOUT_PERMISSION,
    )
    def fail(self, *, by=None, at, description="", provider_reference: str, reason: str):
        self.failed_at = at
        self.provider_reference = provider_reference
        self.failure_reason = reason

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=PayoutState.FAILED,
        target=PayoutState.PENDING,
        permission=PAYOUT_PERMISSION,
    )
    def resubmit(self, *, by=None, at, description=""):
        """Back in the queue for the next batch (the service checks the account was fixed)."""


class BuyerCompensation(models.Model):
    """R37: 10.00 shipping compensation to the buyer of a completed return. One per claim (R42)."""

    claim = models.OneToOneField(
        Claim, on_delete=models.PROTECT, related_name="compensation", verbose_name=_("claim")
    )
    buyer = models.ForeignKey(
        Buyer, on_delete=models.PROTECT, related_name="compensations", verbose_name=_("buyer")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    paid_at = models.DateTimeField(_("paid at"))

    class Meta:
        verbose_name = _("buyer shipping compensation")
        verbose_name_plural = _("buyer shipping compensations")

    def __str__(self):
        return f"{self.claim_id}: {self.amount}"


class BreachCause(models.TextChoices):
    REFUSAL_OVERRULED = "refusal_overruled", _("Receipt refused without valid grounds")
    RECEIPT_OVERDUE = "receipt_overdue", _("Return left unconfirmed past the deadline")


class BreachState(models.TextChoices):
    OWED = "owed", _("Points owed to the buyer")
    SETTLED = "settled", _("Settled: points granted")


class ServiceBreach(FSMModelMixin, models.Model):
    """R38: the merchant owed the service and did not perform it: 10,000 points per sub-order."""

    claim = models.OneToOneField(
        Claim, on_delete=models.PROTECT, related_name="breach", verbose_name=_("claim")
    )
    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="breaches", verbose_name=_("shop")
    )
    cause = models.CharField(_("cause"), max_length=20, choices=BreachCause.choices)
    points = models.PositiveIntegerField(_("points owed to the buyer"))
    recorded_at = models.DateTimeField(_("recorded at"))
    state = state_field(BreachState.OWED, max_length=10)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("service breach")
        verbose_name_plural = _("service breaches")

    def __str__(self):
        return f"{self.claim_id}: {self.points}"

    @property
    def settled(self) -> bool:
        """Seed 4-3: once the points are granted the breach no longer counts as a violation."""
        return self.state == BreachState.SETTLED

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=BreachState.OWED,
        target=BreachState.SETTLED,
        permission=BREACH_PERMISSION,
    )
    def settle(self, *, by=None, at, description=""):
        self.settled_at = at


class FeedbackCategory(models.TextChoices):
    REPEATED_REQUESTS = "repeated_requests", _("Repeated requests in a short period")
    PROFITEERING = "profiteering", _("Suspected deliberate profiteering")
    OTHER = "other", _("Other")


class FeedbackState(models.TextChoices):
    OPEN = "open", _("Waiting for the insurer")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class BuyerFeedback(FSMModelMixin, models.Model):
    """R60: a merchant's report of a buyer problem (反馈买家问题)."""

    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="buyer_feedback", verbose_name=_("shop")
    )
    buyer = models.ForeignKey(
        Buyer, on_delete=models.PROTECT, related_name="feedback", verbose_name=_("buyer")
    )
    policy = models.ForeignKey(
        Policy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("policy"),
    )
    claim = models.ForeignKey(
        Claim,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("claim"),
    )
    category = models.CharField(_("category"), max_length=20, choices=FeedbackCategory.choices)
    description = models.TextField(_("description"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("reported by"),
    )
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)
    state = state_field(FeedbackState.OPEN, max_length=12)
    outcome_note = models.TextField(_("insurer's note"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("buyer feedback")
        verbose_name_plural = _("buyer feedback")
        indexes = [
            models.Index(fields=["shop", "-created_at"]),
            models.Index(fields=["state", "created_at"]),
        ]

    def __str__(self):
        return f"{self.buyer} ({self.get_category_display()})"

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=FeedbackState.OPEN,
        target=FeedbackState.UPHELD,
        permission=REVIEW_PERMISSION,
    )
    def uphold(self, *, by=None, at, description=""):
        self.decided_at = at
        self.outcome_note = description

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=FeedbackState.OPEN,
        target=FeedbackState.DISMISSED,
        permission=REVIEW_PERMISSION,
    )
    def dismiss(self, *, by=None, at, description=""):
        self.decided_at = at
        self.outcome_note = description


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


from claims.rollup_models import ShopClaimState, ShopDay, ShopDayReason  # noqa: E402, F401 (issue 10)
