"""R90/R91: the deadline sweep. Idempotent: running it twice changes nothing more.

The sweep is the backstop for events that never come: what it does is dated at the deadline
it enforces, not at the moment it runs, so its outcome is the same whether it ran a second or
a day after the deadline; the services judge a late event by its own time the same way.

- R33: a return whose tracking number did not come in time closes with no payout.
- R38: a shipped return the merchant left unconfirmed past the receipt deadline is taken as
  received (with a breach: 10,000 points per sub-order), refunded and paid.
- R32: a claim still in review past its 24-hour deadline is flagged overdue.
"""

import datetime as dt
from dataclasses import asdict, dataclass

from django.db import transaction
from django.utils import timezone

from claims.models import BreachCause, Claim, ClaimState
from claims.services import decisions


@dataclass
class SweepResult:
    closed_timeout: int = 0
    receipt_overdue: int = 0
    review_flagged: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _due(state: str, field: str, now: dt.datetime) -> list[int]:
    return list(
        Claim.objects.filter(state=state, **{f"{field}__lt": now})
        .order_by(field)
        .values_list("pk", flat=True)
    )


def _close_timeout(claim_id: int, now: dt.datetime) -> bool:
    with transaction.atomic():
        claim = decisions.locked(claim_id)
        if claim.state != ClaimState.AWAITING_RETURN or claim.return_due_at >= now:
            return False  # changed since we looked: another sweep or the buyer got there first
        decisions.close_timeout(claim)  # R33, dated at the return deadline
        decisions.save_and_notify(claim, None)
        return True


def _receipt_overdue(claim_id: int, now: dt.datetime) -> bool:
    with transaction.atomic():
        claim = decisions.locked(claim_id)
        if not decisions.receipt_overdue(claim, now):
            return False
        due = claim.receipt_due_at  # R38: taken as received when the deadline passed
        decisions.run(
            claim,
            "confirm_receipt",
            by=None,
            at=due,
            description="system: R38 merchant receipt deadline passed",
        )
        decisions.record_breach(claim, cause=BreachCause.RECEIPT_OVERDUE, at=due)
        decisions.complete_and_pay(
            claim, by=None, at=due, description="system: R35 refund after the receipt deadline"
        )
        decisions.save_and_notify(claim, "breach")
        return True


def sweep_deadlines(*, now: dt.datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    for claim_id in _due(ClaimState.AWAITING_RETURN, "return_due_at", now):
        result.closed_timeout += _close_timeout(claim_id, now)
    for claim_id in _due(ClaimState.RETURN_SHIPPED, "receipt_due_at", now):
        result.receipt_overdue += _receipt_overdue(claim_id, now)
    result.review_flagged = Claim.objects.filter(
        state=ClaimState.SUBMITTED, review_due_at__lt=now, review_overdue=False
    ).update(review_overdue=True)
    return result
