"""The tests' platform events and signed client, shared by the API and claims tests.

The events come from the one builder (`platform_api.events`) with the tests' defaults: an
order of one 199.00 kettle placed at `T0`, shipped 5 h and received 2 days later, a refund
of it asked for on day 5 with one photo. Each event gets a fresh id (`evt-<n>`), so sending
the same fact twice is two events, and occurs at `T0` unless told otherwise.
"""

import datetime as dt
import io
import itertools
import json

from django.urls import reverse
from django.utils import timezone
from PIL import Image

from platform_api import events as build
from platform_api.auth import signed_headers
from platform_api.events import iso
from portal.clock import SHANGHAI

__all__ = ["T0", "iso"]

_ids = itertools.count(1)
T0 = dt.datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI)


def _fresh(event_id=None, occurred_at=None) -> dict:
    return {"event_id": event_id or f"evt-{next(_ids)}", "occurred_at": occurred_at or T0}


def event(type_, data, *, event_id=None, occurred_at=None):
    """Any event around any data (malformed data included)."""
    return build.envelope(type_, data, **_fresh(event_id, occurred_at))


def order_placed(order_id, shop_id, *, buyer="buyer-1", tier=3, at=T0, lines=None):
    lines = lines or [
        build.order_line(
            f"{order_id}-1", sku="SKU-KETTLE", title="电热水壶", quantity=1, paid_amount="199.00"
        )
    ]
    return build.order_placed(
        order_id,
        shop_id=shop_id,
        buyer_id=buyer,
        credit_tier=tier,
        placed_at=at,
        lines=lines,
        **_fresh(),
    )


def order_shipped(order_id, *, at=T0 + dt.timedelta(hours=5)):
    return build.order_shipped(order_id, shipped_at=at, **_fresh())


def order_received(order_id, *, at=T0 + dt.timedelta(days=2)):
    return build.order_received(order_id, received_at=at, **_fresh())


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
    return build.refund_requested(
        refund_id,
        order_id=order_id,
        line_id=line_id or f"{order_id}-1",
        kind=kind,
        reason=reason,
        amount=amount,
        requested_at=at,
        description=description,
        images=evidence if evidence is not None else [("photo.png", png_bytes())],
        **_fresh(),
    )


def return_shipped(
    refund_id, *, at=T0 + dt.timedelta(days=6), tracking="SF1234567890", reported_at=None
):
    """The platform reports the tracking number when the event is built (now), unless told
    otherwise: the merchant's receipt deadline counts from that report (R38)."""
    return build.return_shipped(
        refund_id,
        carrier="顺丰",
        tracking_number=tracking,
        shipped_at=at,
        **_fresh(occurred_at=reported_at or max(at, timezone.now())),
    )


def refund_cancelled(refund_id, *, at=T0 + dt.timedelta(days=6)):
    return build.refund_cancelled(refund_id, cancelled_at=at, **_fresh())


def payout_settled(reference, provider_reference="ALI-1", *, occurred_at=None):
    """R114: the provider settled the payout of the batch file's row `reference`."""
    return build.payout_settled(
        reference, provider_reference=provider_reference, **_fresh(occurred_at=occurred_at)
    )


def payout_failed(reference, reason="账户已注销", provider_reference="ALI-2", *, occurred_at=None):
    """R114: the provider refused the payout of the batch file's row `reference`."""
    return build.payout_failed(
        reference,
        provider_reference=provider_reference,
        reason=reason,
        **_fresh(occurred_at=occurred_at),
    )


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
