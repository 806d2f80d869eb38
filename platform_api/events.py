"""The wire format of every platform event (R80, R84), built in one place next to the schemas
that parse it (`platform_api.schemas`): the tests, the marketplace simulator and the
benchmarks all send what these functions return.

Each builder takes the event's facts and returns the envelope `{"id", "type",
"occurred_at", "data"}` as JSON-ready values. By default an event's id is derived from its
entity and type (`"<entity id>/<type>"`), so a re-run repeats it and is answered `duplicate`
(R82), and it occurred when its fact happened; both can be given. Times are datetimes
(written as ISO 8601 in Shanghai time) or strings passed through as they are, so a test can
send a malformed one; a naive datetime is written without an offset (R80 rejects it).
Amounts given as `Decimal` or int are written as "199.00" strings (R1), never rounded.

`batch_body` and `signed_batch` make the body and headers of `POST /api/v1/events` (R81).
"""

import base64
import datetime as dt
import json
from collections.abc import Iterable
from decimal import Decimal

from platform_api.auth import signed_headers
from portal.clock import SHANGHAI

Time = dt.datetime | str


def iso(instant: Time) -> str:
    """An aware instant in Shanghai time; a naive one or a string as it is."""
    if isinstance(instant, str):
        return instant
    if instant.tzinfo is None:
        return instant.isoformat()
    return instant.astimezone(SHANGHAI).isoformat()


def amount_text(amount):
    """R1: "199.00" from a Decimal or int with at most 2 places, never rounded: one with more
    is written out in full ("19.999", which R1 rejects); anything else (a string, a JSON
    number) is sent as it is."""
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        return amount
    amount = Decimal(amount)
    if amount.is_finite() and amount.as_tuple().exponent >= -2:
        return f"{amount:.2f}"
    return str(amount)


def envelope(type_: str, data: dict, *, event_id: str, occurred_at: Time) -> dict:
    """R80: one event around its data."""
    return {"id": event_id, "type": type_, "occurred_at": iso(occurred_at), "data": data}


def _event(entity_id, type_, data, at, event_id, occurred_at) -> dict:
    return envelope(
        type_,
        data,
        event_id=event_id or f"{entity_id}/{type_}",
        occurred_at=at if occurred_at is None else occurred_at,
    )


# --- orders (R84) ---


def order_line(line_id: str, *, sku: str, title: str, quantity: int, paid_amount) -> dict:
    return {
        "line_id": line_id,
        "sku": sku,
        "title": title,
        "quantity": quantity,
        "paid_amount": amount_text(paid_amount),
    }


def order_placed(
    order_id: str,
    *,
    shop_id: str,
    buyer_id: str,
    credit_tier: int,
    placed_at: Time,
    lines: list[dict],
    event_id: str | None = None,
    occurred_at: Time | None = None,
) -> dict:
    data = {
        "order_id": order_id,
        "shop_id": shop_id,
        "buyer": {"id": buyer_id, "credit_tier": credit_tier},
        "placed_at": iso(placed_at),
        "lines": lines,
    }
    return _event(order_id, "order.placed", data, placed_at, event_id, occurred_at)


def order_shipped(order_id: str, *, shipped_at: Time, event_id=None, occurred_at=None) -> dict:
    data = {"order_id": order_id, "shipped_at": iso(shipped_at)}
    return _event(order_id, "order.shipped", data, shipped_at, event_id, occurred_at)


def order_received(order_id: str, *, received_at: Time, event_id=None, occurred_at=None) -> dict:
    data = {"order_id": order_id, "received_at": iso(received_at)}
    return _event(order_id, "order.received", data, received_at, event_id, occurred_at)


# --- refunds (R84, R85) ---


def evidence(images: Iterable[tuple[str, bytes]]) -> list[dict]:
    """R85: (filename, content) pairs as the event carries them, base64."""
    return [
        {"filename": name, "content_base64": base64.b64encode(content).decode()}
        for name, content in images
    ]


def refund_requested(
    refund_id: str,
    *,
    order_id: str,
    line_id: str,
    kind: str,
    reason: str,
    amount,
    requested_at: Time,
    description: str | None = None,
    images: Iterable[tuple[str, bytes]] | None = None,
    event_id: str | None = None,
    occurred_at: Time | None = None,
) -> dict:
    """`description` and `images` (the evidence) are optional, as in R84."""
    data = {
        "refund_id": refund_id,
        "order_id": order_id,
        "line_id": line_id,
        "kind": kind,
        "reason": reason,
        "amount": amount_text(amount),
    }
    if description is not None:
        data["description"] = description
    if images is not None:
        data["evidence"] = evidence(images)
    data["requested_at"] = iso(requested_at)
    return _event(refund_id, "refund.requested", data, requested_at, event_id, occurred_at)


def return_shipped(
    refund_id: str,
    *,
    carrier: str,
    tracking_number: str,
    shipped_at: Time,
    event_id: str | None = None,
    occurred_at: Time | None = None,
) -> dict:
    """R38: the merchant's receipt deadline counts from the report, `occurred_at`."""
    data = {
        "refund_id": refund_id,
        "carrier": carrier,
        "tracking_number": tracking_number,
        "shipped_at": iso(shipped_at),
    }
    return _event(refund_id, "refund.return_shipped", data, shipped_at, event_id, occurred_at)


def refund_cancelled(refund_id: str, *, cancelled_at: Time, event_id=None, occurred_at=None):
    data = {"refund_id": refund_id, "cancelled_at": iso(cancelled_at)}
    return _event(refund_id, "refund.cancelled", data, cancelled_at, event_id, occurred_at)


# --- payouts (R114): the payment provider's results; they carry no time of their own ---


def payout_settled(
    payout_reference: str, *, provider_reference: str, occurred_at: Time, event_id=None
) -> dict:
    data = {"payout_reference": payout_reference, "provider_reference": provider_reference}
    return _event(payout_reference, "payout.settled", data, occurred_at, event_id, None)


def payout_failed(
    payout_reference: str,
    *,
    provider_reference: str,
    reason: str,
    occurred_at: Time,
    event_id: str | None = None,
) -> dict:
    data = {
        "payout_reference": payout_reference,
        "provider_reference": provider_reference,
        "reason": reason,
    }
    return _event(payout_reference, "payout.failed", data, occurred_at, event_id, None)


# --- the request (R80, R81) ---


def batch_body(events: Iterable[dict]) -> bytes:
    """The body of `POST /api/v1/events`: `{"events": [...]}`, UTF-8 JSON."""
    return json.dumps({"events": list(events)}, ensure_ascii=False).encode()


def signed_batch(events: Iterable[dict], *, secret=None, timestamp=None) -> tuple[bytes, dict]:
    """(body, headers) of a signed batch (R81); the secret defaults to the portal's."""
    body = batch_body(events)
    return body, signed_headers(body, timestamp=timestamp, secret=secret)
