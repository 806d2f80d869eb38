"""The insurer's reads: the review queue (R32) and a buyer's history across shops (R61)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from claims.models import CLAIM_QUEUE_RANK, Buyer, BuyerFeedback, Claim, FeedbackState


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
