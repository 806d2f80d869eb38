"""Builders for platform events and a signed client, shared by the API and claims tests."""

import base64
import datetime as dt
import io
import itertools
import json

from django.urls import reverse
from django.utils import timezone
from PIL import Image

from platform_api.auth import signed_headers
from portal.clock import SHANGHAI

_ids = itertools.count(1)
T0 = dt.datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI)


def iso(instant: dt.datetime) -> str:
    return instant.isoformat()


def event(type_, data, *, event_id=None, occurred_at=None):
    return {
        "id": event_id or f"evt-{next(_ids)}",
        "type": type_,
        "occurred_at": iso(occurred_at or T0),
        "data": data,
    }


def order_placed(order_id, shop_id, *, buyer="buyer-1", tier=3, at=T0, lines=None):
    lines = lines or [
        {
            "line_id": f"{order_id}-1",
            "sku": "SKU-KETTLE",
            "title": "电热水壶",
            "quantity": 1,
            "paid_amount": "199.00",
        }
    ]
    return event(
        "order.placed",
        {
            "order_id": order_id,
            "shop_id": shop_id,
            "buyer": {"id": buyer, "credit_tier": tier},
            "placed_at": iso(at),
            "lines": lines,
        },
    )


def order_shipped(order_id, *, at=T0 + dt.timedelta(hours=5)):
    return event("order.shipped", {"order_id": order_id, "shipped_at": iso(at)})


def order_received(order_id, *, at=T0 + dt.timedelta(days=2)):
    return event("order.received", {"order_id": order_id, "received_at": iso(at)})


def png_bytes(color=(200, 30, 30), size=(16, 16), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def refund_requested(
    refund_id,
    order_id,
    *,
    line_id=None,
    kind="refund_only",
    reason="quality_issue",
    amount="199.00",
    at=T0 + dt.timedelta(days=5),
    evidence=None,
    description="坏了",
):
    evidence = evidence if evidence is not None else [("photo.png", png_bytes())]
    return event(
        "refund.requested",
        {
            "refund_id": refund_id,
            "order_id": order_id,
            "line_id": line_id or f"{order_id}-1",
            "kind": kind,
            "reason": reason,
            "amount": amount,
            "description": description,
            "evidence": [
                {"filename": name, "content_base64": base64.b64encode(data).decode()}
                for name, data in evidence
            ],
            "requested_at": iso(at),
        },
    )


def return_shipped(
    refund_id, *, at=T0 + dt.timedelta(days=6), tracking="SF1234567890", reported_at=None
):
    """The platform reports the tracking number when the event is built (now), unless told
    otherwise: the merchant's receipt deadline counts from that report (R38)."""
    return event(
        "refund.return_shipped",
        {
            "refund_id": refund_id,
            "carrier": "顺丰",
            "tracking_number": tracking,
            "shipped_at": iso(at),
        },
        occurred_at=reported_at or max(at, timezone.now()),
    )


def refund_cancelled(refund_id, *, at=T0 + dt.timedelta(days=6)):
    return event("refund.cancelled", {"refund_id": refund_id, "cancelled_at": iso(at)})


def post(client, payload, *, headers=None, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = headers if headers is not None else signed_headers(body)
    return client.post(
        reverse("platform_api:events"),
        data=body,
        content_type="application/json",
        headers=headers,
    )


def send(client, *events):
    """Post a batch and return the per-event statuses; fail loudly on a non-200."""
    response = post(client, {"events": list(events)})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def get(client, path):
    return client.get(path, headers=signed_headers(path.encode()))
