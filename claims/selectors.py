"""Reads of the claims app: the review queue and buyer history (R32, R61)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from claims.models import (
    CLAIM_QUEUE_RANK,
    Buyer,
    BuyerFeedback,
    Claim,
    ClaimState,
    FeedbackState,
)


def claim_queue(queryset: QuerySet[Claim] | None = None) -> QuerySet[Claim]:
    """R32: overdue reviews first, then reviews by deadline, refusals to rule on, the rest
    (ordered by queue_rank, review_due_at, id).

    The rank does not depend on the time: reviews ordered by deadline already put the overdue
    ones (deadline < now) first. So it is indexed with the deadline ("claim_queue_idx"), and
    the first page of 100,000 claims is read from that index instead of sorting them all."""
    queryset = Claim.objects.all() if queryset is None else queryset
    return queryset.annotate(queue_rank=CLAIM_QUEUE_RANK)


@dataclass(frozen=True)
class BuyerHistory:
    credit_tier: int
    eligible: bool
    claims_30_days: int
    claims_90_days: int
    feedback_received: int
    feedback_upheld: int


def buyer_history(buyer: Buyer, *, now: dt.datetime | None = None) -> BuyerHistory:
    """R61: the buyer across all shops, next to each claim. Two queries."""
    now = now or timezone.now()
    claims = Claim.objects.filter(buyer=buyer).aggregate(
        d30=Count("id", filter=Q(submitted_at__gte=now - dt.timedelta(days=30))),
        d90=Count("id", filter=Q(submitted_at__gte=now - dt.timedelta(days=90))),
    )
    feedback = BuyerFeedback.objects.filter(buyer=buyer).aggregate(
        total=Count("id"), upheld=Count("id", filter=Q(state=FeedbackState.UPHELD))
    )
    return BuyerHistory(
        credit_tier=buyer.credit_tier,
        eligible=buyer.eligible,
        claims_30_days=claims["d30"],
        claims_90_days=claims["d90"],
        feedback_received=feedback["total"],
        feedback_upheld=feedback["upheld"],
    )


# --- merchant reads (R100: every one takes the merchant's shop) ---


def policies_for_shop(
    *, shop, q: str = "", status: str = "", issued_from=None, issued_to=None, now=None
) -> QuerySet:
    """R24: the shop's policies, newest first, searchable by order id, buyer id or SKU."""
    from claims.models import Order, OrderLine, Policy, PolicyClaimStatus, PolicyStatus

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
        policies = policies.filter(claim_status=PolicyClaimStatus.NONE, coverage_start__isnull=True)
    elif status == PolicyStatus.IN_COVERAGE:
        policies = policies.filter(claim_status=PolicyClaimStatus.NONE, coverage_end__gte=now)
    elif status == PolicyStatus.EXPIRED:
        policies = policies.filter(claim_status=PolicyClaimStatus.NONE, coverage_end__lt=now)
    if issued_from:
        policies = policies.filter(issued_at__gte=issued_from)
    if issued_to:
        policies = policies.filter(issued_at__lt=issued_to)
    return policies.order_by("-issued_at", "-id")


def refunds_for_shop(
    *, shop, business: str = "", state: str = "", due: str = "", q: str = "", now=None
) -> QuerySet:
    """R44: every refund request of the shop, 质保卡 (covered) or merchant-handled."""
    from claims.models import RefundRequest

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
        refunds = refunds.filter(
            Q(platform_refund_id=q) | Q(order__platform_order_id=q) | Q(buyer__platform_buyer_id=q)
        )
    return refunds.order_by("-requested_at", "-id")


def claims_awaiting_merchant(*, shop) -> QuerySet:
    """What needs the merchant now: returns on their way, most urgent first (R34, R38)."""
    return (
        Claim.objects.filter(shop=shop, state=ClaimState.RETURN_SHIPPED)
        .select_related("refund", "refund__order")
        .order_by("receipt_due_at", "id")
    )


def payouts_for_shop(*, shop) -> QuerySet:
    from claims.models import Payout

    return (
        Payout.objects.filter(shop=shop)
        .select_related("claim", "claim__refund", "claim__refund__order")
        .order_by("-paid_at", "-id")
    )


def feedback_for_shop(*, shop) -> QuerySet:
    return (
        BuyerFeedback.objects.filter(shop=shop)
        .select_related("buyer", "policy", "claim", "claim__refund")
        .order_by("-created_at", "-id")
    )
