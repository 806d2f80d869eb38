"""Reads of the claims app: the review queue and buyer history (R32, R61)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from claims.models import Buyer, BuyerFeedback, Claim, ClaimState, FeedbackState


def claim_queue(queryset: QuerySet[Claim] | None = None, *, now=None) -> QuerySet[Claim]:
    """R32: overdue reviews first, then reviews by deadline, refusals to rule on, the rest."""
    now = now or timezone.now()
    queryset = Claim.objects.all() if queryset is None else queryset
    return queryset.annotate(
        queue_rank=Case(
            When(state=ClaimState.SUBMITTED, review_due_at__lt=now, then=Value(0)),
            When(state=ClaimState.SUBMITTED, then=Value(1)),
            When(state=ClaimState.RECEIPT_REFUSED, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
    )


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
