"""The merchant's reads (R100: every one takes the merchant's shop): policies (R24), refund
requests and claims (R44), payouts (R35), buyer feedback (R60), service breaches (R38)."""

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from claims.models import (
    COVERAGE_HOURS,
    BreachState,
    BuyerFeedback,
    Claim,
    ClaimState,
    Evidence,
    EvidenceKind,
    Order,
    OrderLine,
    Payout,
    Policy,
    PolicyClaimStatus,
    PolicyStatus,
    RefundRequest,
    ServiceBreach,
)
from portal.rawsql import JoinedRead

# The claim page's claim with its request, order, sub-order, payout and compensation: one
# statement written once (issue 10: the ORM's select_related of these five relations cost
# 2-3 ms a page to compile and read); read through enrollment.scoping.shop_read_or_404 (R100).
CLAIM_PAGE = JoinedRead(
    Claim, "refund__order", "refund__line", "payout", "compensation", where=("pk", "shop")
)


class Photo(NamedTuple):
    """What a gallery shows of an evidence image (its file only through the private view)."""

    pk: int
    original_name: str


def claim_photos(claim: Claim) -> tuple[list[Photo], list[Photo]]:
    """The buyer's photos of the claim's request and the merchant's refusal photos, in one
    query (R43, R36; issue 10: two queries were 0.7 ms each), each list in upload order."""
    rows = (
        Evidence.objects.filter(
            Q(refund_id=claim.refund_id, kind=EvidenceKind.BUYER)
            | Q(claim_id=claim.pk, kind=EvidenceKind.REFUSAL)
        )
        .order_by("pk")
        .values_list("pk", "kind", "original_name")
    )
    buyer, refusal = [], []
    for pk, kind, name in rows:
        (buyer if kind == EvidenceKind.BUYER else refusal).append(Photo(pk, name))
    return buyer, refusal


# The policy page's policy with its order and buyer, its order's lines and its claims with
# their requests: statements written once (issue 10, as the claim page's), the policy read
# through enrollment.scoping.shop_read_or_404 (R100).
POLICY_PAGE = JoinedRead(Policy, "order__buyer", where=("pk", "shop"))
_ORDER_LINES = JoinedRead(OrderLine, where=("order",), order_by=("id",))
_POLICY_CLAIMS = JoinedRead(Claim, "refund", where=("policy",), order_by=("-submitted_at", "-id"))


def policy_page_lines(policy: Policy) -> list[OrderLine]:
    """The policy's order lines (each sub-order), in the order they were recorded."""
    return _ORDER_LINES.all(policy.order_id)


def policy_page_claims(policy: Policy) -> list[Claim]:
    """The policy's claims, newest first, each with its refund request."""
    return _POLICY_CLAIMS.all(policy.pk)


def policies_for_shop(
    *, shop, q: str = "", status: str = "", issued_from=None, issued_to=None, now=None
) -> QuerySet:
    """R24: the shop's policies, newest first, searchable by order id, buyer id or SKU."""
    now = now or timezone.now()
    policies = Policy.objects.filter(shop=shop).select_related("order", "order__buyer")
    q = (q or "").strip()
    if q:
        # The orders that match, each way through its own index, then their policies: an OR
        # across the joined tables would scan every policy of the shop (1.5 s at 400,000).
        orders = (
            Order.objects.filter(platform_order_id=q)
            .values("id")
            .union(
                Order.objects.filter(buyer__platform_buyer_id=q).values("id"),
                OrderLine.objects.filter(sku=q).values("order_id"),
            )
        )
        policies = policies.filter(order_id__in=orders)
    if status in (
        PolicyStatus.CLAIM_IN_PROGRESS,
        PolicyStatus.CLAIM_PAID,
        PolicyStatus.CLAIM_CLOSED,
    ):
        policies = policies.filter(claim_status=status)
    elif status == PolicyStatus.AWAITING_RECEIPT:
        # R24 reads "no coverage_start"; coverage_end is set with it, at receipt (R23,
        # order_receive), and is the one said here: an index condition (shop, claim_status,
        # coverage_end) for the list's total (issue 11). Both said, PostgreSQL multiplied
        # their selectivities, expected 13 rows of 2,545, and joined them all before sorting
        # (15 ms a page on the dataset, issue 10).
        policies = policies.filter(claim_status=PolicyClaimStatus.NONE, coverage_end__isnull=True)
    elif status == PolicyStatus.IN_COVERAGE:
        policies = policies.filter(claim_status=PolicyClaimStatus.NONE, coverage_end__gte=now)
    elif status == PolicyStatus.EXPIRED:
        # Coverage starts at receipt, never before the shipment that issued the policy
        # (claims.services.policies), so an expired policy was issued over 720 h ago: said
        # here, the bound spares the index scan the newest policies, all still covered.
        policies = policies.filter(
            claim_status=PolicyClaimStatus.NONE,
            coverage_end__lt=now,
            issued_at__lt=now - dt.timedelta(hours=COVERAGE_HOURS),
        )
    if issued_from:
        policies = policies.filter(issued_at__gte=issued_from)
    if issued_to:
        policies = policies.filter(issued_at__lt=issued_to)
    return policies.order_by("-issued_at", "-id")


def policies_to_count(
    policies: QuerySet,
    *,
    shop,
    q: str = "",
    status: str = "",
    issued_from=None,
    issued_to=None,
    now=None,
) -> QuerySet:
    """What the policy list's total counts: the list's own rows, or for the expired ones
    alone the same rows read from the index (shop, claim_status, coverage_end) in its own
    order, index only. Coverage ends 720 h after receipt, never before the issue (R23), so
    the list's bound on issued_at holds for every such row; in the list's order the count
    walked past the 3,000 policies issued over 720 h ago and still covered (2.5 -> 0.4 ms
    for the big shop, issue 10)."""
    if status != PolicyStatus.EXPIRED or (q or "").strip() or issued_from or issued_to:
        return policies
    return Policy.objects.filter(
        shop=shop, claim_status=PolicyClaimStatus.NONE, coverage_end__lt=now or timezone.now()
    ).order_by("-coverage_end")


class PolicyRow(NamedTuple):
    """A row of the policy list: the columns it shows, shaped like the model (row.pk,
    row.order.platform_order_id, row.order.buyer.platform_buyer_id) so the template reads
    as it did with instances."""

    pk: int
    policy_no: str
    issued_at: dt.datetime
    premium: Decimal
    current_status: str
    order: "OrderRef"


class OrderRef(NamedTuple):
    platform_order_id: str
    buyer: "BuyerRef"


class BuyerRef(NamedTuple):
    platform_buyer_id: str


def policy_list_columns(policies: QuerySet) -> QuerySet:
    """`policies` (from policies_for_shop) as tuples of the list's columns, same joins and
    order: a page of 50 built as Policy, Order and Buyer instances took 3.8 ms, as tuples
    1.0 ms (issue 10, bench/RESULTS.md "merchant lists, the page shell")."""
    return policies.values_list(
        "pk",
        "policy_no",
        "issued_at",
        "premium",
        "claim_status",
        "coverage_start",
        "coverage_end",
        "order__platform_order_id",
        "order__buyer__platform_buyer_id",
        named=True,
    )


def policy_rows(columns, *, now: dt.datetime) -> list[PolicyRow]:
    """Rows of policy_list_columns with the status the merchant sees (R24: Policy.status
    reads only claim_status and the coverage dates, which each row carries)."""
    return [
        PolicyRow(
            c.pk,
            c.policy_no,
            c.issued_at,
            c.premium,
            Policy.status(c, now),
            OrderRef(c.order__platform_order_id, BuyerRef(c.order__buyer__platform_buyer_id)),
        )
        for c in columns
    ]


def refunds_for_shop(
    *, shop, business: str = "", state: str = "", due: str = "", q: str = "", now=None
) -> QuerySet:
    """R44: every refund request of the shop, 质保卡 (covered) or merchant-handled."""
    now = now or timezone.now()
    refunds = RefundRequest.objects.filter(shop=shop).select_related(
        "order", "line", "claim", "buyer"
    )
    if business == "warranty":
        refunds = refunds.filter(covered=True)
    elif business == "merchant":
        refunds = refunds.filter(covered=False)
    if state:
        refunds = refunds.filter(claim__state=state)
    if due == "needs_action":  # returns the merchant must confirm or refuse (R34)
        refunds = refunds.filter(claim__state=ClaimState.RETURN_SHIPPED)
    elif due == "overdue":
        refunds = refunds.filter(
            claim__state=ClaimState.RETURN_SHIPPED, claim__receipt_due_at__lt=now
        )
    q = (q or "").strip()
    if q:
        # Each id through its own unique index, then the requests: an OR across the joined
        # tables reads every order (issue 10, tests/claims/test_query_plans.py).
        matching = (
            RefundRequest.objects.filter(platform_refund_id=q)
            .values("id")
            .union(
                RefundRequest.objects.filter(order__platform_order_id=q).values("id"),
                RefundRequest.objects.filter(buyer__platform_buyer_id=q).values("id"),
            )
        )
        refunds = refunds.filter(id__in=matching)
    if state or due in ("needs_action", "overdue"):
        # A claim is submitted when its request is made (submitted_at = requested_at,
        # claims.services.refunds): ordered by the claim's time, the claims index (shop,
        # state, submitted_at) serves the list instead of a join tried row by row (issue 10).
        return refunds.filter(claim__shop=shop).order_by("-claim__submitted_at", "-id")
    return refunds.order_by("-requested_at", "-id")


def refunds_to_count(
    refunds: QuerySet, *, shop, business: str = "", state: str = "", due: str = "", q: str = ""
) -> QuerySet:
    """What the refund list's total counts (issue 11): the same rows, read from the claims'
    index (shop, state, submitted_at) when the list is of claims in a state, since a claim
    is the request's own (one per covered request); else the list itself."""
    if (q or "").strip() or not (state or due in ("needs_action", "overdue")):
        return refunds
    if business == "merchant":  # merchant-handled requests have no claim
        return Claim.objects.none()
    if due in ("needs_action", "overdue"):
        if state and state != ClaimState.RETURN_SHIPPED:
            return Claim.objects.none()
        claims = Claim.objects.filter(shop=shop, state=ClaimState.RETURN_SHIPPED)
        if due == "overdue":
            claims = claims.filter(receipt_due_at__lt=timezone.now())
        return claims.order_by("-submitted_at")
    # In the index's own order (shop, state, submitted_at DESC), not the list's (which adds
    # the id): the capped count then reads 1,001 entries and stops, where the id made it
    # sort every claim in the state first (1.6 ms for 1,541, issue 10). The count is the
    # same in any order.
    return Claim.objects.filter(shop=shop, state=state).order_by("-submitted_at")


def claims_awaiting_merchant(*, shop) -> QuerySet:
    """What needs the merchant now: returns on their way, most urgent first (R34, R38)."""
    return (
        Claim.objects.filter(shop=shop, state=ClaimState.RETURN_SHIPPED)
        .select_related("refund", "refund__order")
        .order_by("receipt_due_at", "id")
    )


# The dashboard's first ten of claims_awaiting_merchant, in a statement written once
# (issue 10: the ORM compiled it on every dashboard, 0.9 ms).
_AWAITING_FIRST = JoinedRead(
    Claim,
    "refund__order",
    where=("shop", "state"),
    order_by=("receipt_due_at", "id"),
    limit=10,
)


def claims_awaiting_merchant_first(*, shop) -> list[Claim]:
    """The first ten of `claims_awaiting_merchant`, each with its request and order."""
    return _AWAITING_FIRST.all(shop.pk, ClaimState.RETURN_SHIPPED)


def payouts_for_shop(*, shop, paid_from=None, paid_to=None) -> QuerySet:
    """R35: the shop's payouts, newest first; paid in [paid_from, paid_to) when given."""
    payouts = Payout.objects.filter(shop=shop)
    if paid_from:
        payouts = payouts.filter(paid_at__gte=paid_from)
    if paid_to:
        payouts = payouts.filter(paid_at__lt=paid_to)
    return payouts.select_related("claim", "claim__refund", "claim__refund__order").order_by(
        "-paid_at", "-id"
    )


class PayoutRow(NamedTuple):
    """A row of the payout list, shaped like the model (row.claim.refund.platform_refund_id,
    row.get_state_display()) so the template reads as it did with instances."""

    pk: int
    paid_at: dt.datetime
    amount: Decimal
    alipay_account: str
    state: str
    claim_id: int
    claim: "ClaimRef"

    def get_state_display(self) -> str:
        return _payout_states().get(self.state, self.state)


class ClaimRef(NamedTuple):
    refund: "RefundRef"


class RefundRef(NamedTuple):
    platform_refund_id: str
    order: "OrderIdRef"


class OrderIdRef(NamedTuple):
    platform_order_id: str


def _payout_states() -> dict:
    return {value: str(label) for value, label in Payout._meta.get_field("state").flatchoices}


def payout_list_columns(payouts: QuerySet) -> QuerySet:
    """`payouts` (from payouts_for_shop) as tuples of the list's columns, same joins and
    order: 4 instances a row (payout, claim, refund, order) were a third of the page."""
    return payouts.values_list(
        "pk",
        "paid_at",
        "amount",
        "alipay_account",
        "state",
        "claim_id",
        "claim__refund__platform_refund_id",
        "claim__refund__order__platform_order_id",
        named=True,
    )


def payout_rows(columns) -> list[PayoutRow]:
    return [
        PayoutRow(
            c.pk,
            c.paid_at,
            c.amount,
            c.alipay_account,
            c.state,
            c.claim_id,
            ClaimRef(
                RefundRef(
                    c.claim__refund__platform_refund_id,
                    OrderIdRef(c.claim__refund__order__platform_order_id),
                )
            ),
        )
        for c in columns
    ]


class RefundRow(NamedTuple):
    """A row of the refund list, shaped like the model (row.claim.state,
    row.get_reason_display(), `|display("not_covered_reason")` through `_meta`) so the
    template reads as it did with instances; `claim` is None for a merchant-handled one."""

    pk: int
    platform_refund_id: str
    covered: bool
    requested_at: dt.datetime
    reason: str
    amount: Decimal
    not_covered_reason: str
    order: "OrderIdRef"
    claim: "RefundClaimRef | None"

    _meta = RefundRequest._meta
    get_reason_display = RefundRequest.get_reason_display


class RefundClaimRef(NamedTuple):
    pk: int
    state: str
    receipt_due_at: dt.datetime | None
    review_due_at: dt.datetime  # R32: an overdue review is marked, with the hotline
    submitted_at: dt.datetime  # the cursor of a list in a claim state

    _meta = Claim._meta


def refund_list_columns(refunds: QuerySet) -> QuerySet:
    """`refunds` (from refunds_for_shop) as tuples of the list's columns, same joins and
    order: three instances a row (request, order, claim) were the page's largest part."""
    return refunds.values_list(
        "pk",
        "platform_refund_id",
        "covered",
        "requested_at",
        "reason",
        "amount",
        "not_covered_reason",
        "order__platform_order_id",
        "claim__pk",
        "claim__state",
        "claim__receipt_due_at",
        "claim__review_due_at",
        "claim__submitted_at",
        named=True,
    )


def refund_rows(columns) -> list[RefundRow]:
    return [
        RefundRow(
            c.pk,
            c.platform_refund_id,
            c.covered,
            c.requested_at,
            c.reason,
            c.amount,
            c.not_covered_reason,
            OrderIdRef(c.order__platform_order_id),
            None
            if c.claim__pk is None
            else RefundClaimRef(
                c.claim__pk,
                c.claim__state,
                c.claim__receipt_due_at,
                c.claim__review_due_at,
                c.claim__submitted_at,
            ),
        )
        for c in columns
    ]


def feedback_for_shop(*, shop, state: str = "", category: str = "") -> QuerySet:
    """R60: the shop's reports of buyers, newest first, by outcome and problem."""
    reports = BuyerFeedback.objects.filter(shop=shop)
    if state:
        reports = reports.filter(state=state)
    if category:
        reports = reports.filter(category=category)
    return reports.select_related("buyer", "policy", "claim", "claim__refund").order_by(
        "-created_at", "-id"
    )


def breaches_for_shop(*, shop) -> QuerySet:
    """R38: the shop's service breaches, newest first, with the claim they came from."""
    return (
        ServiceBreach.objects.filter(shop=shop)
        .select_related("claim", "claim__refund")
        .order_by("-recorded_at", "-id")
    )


def breach_counts(*, shop) -> dict:
    """R38 / seed 4-3: how many breaches are owed (count as violations) and settled."""
    return ServiceBreach.objects.filter(shop=shop).aggregate(
        owed=Count("id", filter=Q(state=BreachState.OWED)),
        settled=Count("id", filter=Q(state=BreachState.SETTLED)),
    )
