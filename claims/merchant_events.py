"""What a shop's merchants are told of their claims, read from the announced changes.

Every change to a claim is announced once (`portal.changes`: the transition runner, the
set-based sweep and fast track), inside its transaction; whoever tells the merchant listens
there: the portal's notifications (`notifications.apps`, written in the same transaction)
and the e-mails (`claims.apps`, enqueued after commit). This is the one reading of those
changes both share: which change tells the merchant what (`claims.tasks.EVENTS`, and
`closed_timeout`, which is told in the portal only).

A refund-only claim is refunded and paid in the request that approves it (R35): told once,
at the approval (`approved_paid`). A return paid with a breach (received late, R38, or a
refusal overruled, R34) is told once, as the breach, which is announced before the payment.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from claims.claim_rows import ClaimRow
from claims.models import Claim, RefundKind
from portal.changes import Change

# the change of a claim that tells its merchants of an event
TOLD_BY = {
    "approve_refund": "approved_paid",
    "approve_return": "approved_return",
    "reject": "rejected",
    "ship_return": "return_shipped",
    "refuse_receipt": "receipt_refused",  # the merchant's own act: e-mailed, not notified
    "uphold_refusal": "closed_refused",
    "close_timeout": "closed_timeout",  # R33: no return shipped in time
    "breach": "breach",
    "mark_paid": "paid",  # a return received and paid, with no breach
}

_TOLD = "_merchant_told"  # on a claim instance: the last event its merchants were told


@dataclass(frozen=True, slots=True)
class MerchantEvent:
    claim: Claim | ClaimRow | int  # as announced: the instance, the sweep's row, or its pk
    event: str
    at: dt.datetime  # when it happened (the sweep's: at the deadline it enforced)

    @property
    def claim_id(self) -> int:
        return self.claim if isinstance(self.claim, int) else self.claim.pk


def merchant_events(changes: Iterable[Change]) -> list[MerchantEvent]:
    """The events of these changes, in their order; changes the merchant is not told of
    (a cancellation, the steps of a refund) give none."""
    changes = list(changes)
    # the kinds of the claims paid that were announced by primary key, in one query
    paid = [
        c.obj
        for c in changes
        if c.model is Claim and c.name == "mark_paid" and isinstance(c.obj, int)
    ]
    kinds = dict(Claim.objects.filter(pk__any=paid).values_list("pk", "kind")) if paid else {}
    events = []
    for change in changes:
        event = TOLD_BY.get(change.name) if change.model is Claim else None
        if event is None:
            continue
        if change.name == "mark_paid" and not _payment_is_news(change.obj, kinds):
            continue
        if isinstance(change.obj, Claim):  # not a primary key, nor the sweep's ClaimRow
            setattr(change.obj, _TOLD, event)
        events.append(MerchantEvent(change.obj, event, change.at))
    return events


def last_told(claim: Claim) -> str | None:
    """The last event this claim's merchants were told of, through this instance."""
    return getattr(claim, _TOLD, None)


def _payment_is_news(claim: Claim | ClaimRow | int, kinds: dict[int, str]) -> bool:
    if isinstance(claim, int):
        return kinds[claim] == RefundKind.RETURN_AND_REFUND
    return claim.kind == RefundKind.RETURN_AND_REFUND and last_told(claim) != "breach"
