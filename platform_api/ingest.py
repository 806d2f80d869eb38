"""R82/R83: apply a batch of platform events, each in its own transaction.

An event is applied, or reported as a duplicate (its id was applied before), or rejected
with a clear error; a rejected event leaves nothing behind (its evidence files included)
and never blocks the events after it.
"""

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from claims.services import policies, refunds
from claims.services.evidence import evidence_discard
from platform_api.models import PlatformEvent
from platform_api.schemas import EventError, parse_event, text_problem
from portal.transactions import batch_cache, platform_event

logger = logging.getLogger(__name__)

APPLIED, DUPLICATE, REJECTED = "applied", "duplicate", "rejected"


@dataclass
class Result:
    id: str | None
    status: str
    error: str | None = None

    def as_dict(self) -> dict:
        out = {"id": self.id, "status": self.status}
        if self.error:
            out["error"] = self.error
        return out


def _order_placed(data, stored, occurred_at):
    policies.order_place(
        order_id=data["order_id"],
        shop_id=data["shop_id"],
        buyer_id=data["buyer"]["id"],
        credit_tier=data["buyer"]["credit_tier"],
        placed_at=data["placed_at"],
        lines=data["lines"],
    )


def _order_shipped(data, stored, occurred_at):
    policies.order_ship(order_id=data["order_id"], shipped_at=data["shipped_at"])


def _order_received(data, stored, occurred_at):
    policies.order_receive(order_id=data["order_id"], received_at=data["received_at"])


def _refund_requested(data, stored, occurred_at):
    refunds.refund_request(
        refund_id=data["refund_id"],
        order_id=data["order_id"],
        line_id=data["line_id"],
        kind=data["kind"],
        reason=data["reason"],
        amount=data["amount"],
        description=data.get("description", ""),
        evidence=[(e["filename"], e["content_base64"]) for e in data.get("evidence", [])],
        requested_at=data["requested_at"],
        stored=stored,
    )


def _refund_return_shipped(data, stored, occurred_at):
    refunds.refund_return_shipped(
        refund_id=data["refund_id"],
        carrier=data["carrier"],
        tracking_number=data["tracking_number"],
        at=data["shipped_at"],
        reported_at=occurred_at,  # R33/R38: a late report gives the merchant its full deadline
    )


def _refund_cancelled(data, stored, occurred_at):
    refunds.refund_cancel(refund_id=data["refund_id"], at=data["cancelled_at"])


HANDLERS = {
    "order.placed": _order_placed,
    "order.shipped": _order_shipped,
    "order.received": _order_received,
    "refund.requested": _refund_requested,
    "refund.return_shipped": _refund_return_shipped,
    "refund.cancelled": _refund_cancelled,
}


class _Duplicate(Exception):
    pass


def _raw_id(raw) -> str | None:
    value = raw.get("id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


def apply_events(raw_events: list) -> list[Result]:
    # An id the database cannot hold is rejected by parse_event, not looked up here.
    candidate_ids = [i for i in (_raw_id(r) for r in raw_events) if i and not text_problem(i)]
    seen = set(
        PlatformEvent.objects.filter(event_id__in=candidate_ids).values_list("event_id", flat=True)
    )
    with batch_cache():
        return [_apply_one(raw, seen) for raw in raw_events]


def _apply_one(raw, seen: set) -> Result:
    event_id = _raw_id(raw)
    if event_id in seen:
        return Result(event_id, DUPLICATE)
    try:
        event_id, event_type, occurred_at, data = parse_event(raw)
    except EventError as error:
        return Result(event_id, REJECTED, str(error))
    stored: list[str] = []
    try:
        with platform_event():
            try:  # first: a concurrent request with the same id waits here, then fails
                PlatformEvent.objects.create(
                    event_id=event_id, type=event_type, occurred_at=occurred_at
                )
            except IntegrityError:  # applied by another request in the meantime
                raise _Duplicate from None
            HANDLERS[event_type](data, stored, occurred_at)
    except _Duplicate:
        evidence_discard(stored)
        seen.add(event_id)
        return Result(event_id, DUPLICATE)
    except ValidationError as error:
        evidence_discard(stored)
        return Result(event_id, REJECTED, "; ".join(error.messages))
    except IntegrityError:  # a concurrent request wrote the same order or refund first
        evidence_discard(stored)
        return Result(event_id, REJECTED, "conflicts with a concurrent write; send it again")
    except Exception:  # a bug must not block the rest of the batch
        evidence_discard(stored)
        logger.exception("platform event %s (%s) failed", event_id, event_type)
        return Result(event_id, REJECTED, "internal error while applying the event; retry later")
    seen.add(event_id)
    return Result(event_id, APPLIED)
