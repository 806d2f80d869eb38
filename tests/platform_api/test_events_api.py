"""R80-R85: the signed event endpoint, idempotency, per-event results and bad input."""

import json
import time

import pytest
from django.core.files.storage import default_storage

from claims.models import Evidence, Order, RefundRequest
from platform_api.auth import signed_headers
from platform_api.models import PlatformEvent
from tests.factories import order_story
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db


def body_of(payload):
    return json.dumps(payload).encode()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Platform-Timestamp": "1"},
        "wrong-secret",
        "stale",
        "future",
    ],
    ids=["missing", "no-signature", "wrong-secret", "stale", "future"],
)
def test_R81_a_bad_signature_is_401_and_nothing_is_stored(client, shop, headers):
    payload = ev.order_placed("O1", shop.platform_shop_id)
    body = body_of(payload)
    if headers == "wrong-secret":
        headers = signed_headers(body, secret="not-the-secret")
    elif headers == "stale":
        headers = signed_headers(body, timestamp=int(time.time()) - 301)
    elif headers == "future":
        headers = signed_headers(body, timestamp=int(time.time()) + 301)

    response = ev.post(client, payload, headers=headers, raw=body)

    assert response.status_code == 401
    assert not Order.objects.exists() and not PlatformEvent.objects.exists()


def test_R81_a_signature_over_another_body_is_401(client, shop):
    body = body_of(ev.order_placed("O1", shop.platform_shop_id))
    other = body_of(ev.order_placed("O2", shop.platform_shop_id))
    assert ev.post(client, None, headers=signed_headers(other), raw=body).status_code == 401


def test_R80_a_single_event_is_accepted_as_well_as_a_batch(client, shop):
    response = ev.post(client, ev.order_placed("O1", shop.platform_shop_id))

    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "applied"


def test_R82_a_repeated_event_changes_nothing_and_reports_duplicate(client, shop):
    placed = ev.order_placed("O1", shop.platform_shop_id)

    assert ev.send(client, placed)[0]["status"] == "applied"
    assert ev.send(client, placed)[0]["status"] == "duplicate"
    assert [r["status"] for r in ev.send(client, placed, placed)] == ["duplicate", "duplicate"]
    assert Order.objects.count() == 1 and PlatformEvent.objects.count() == 1


def test_R82_the_same_id_twice_in_one_batch_is_applied_once(client, shop):
    placed = ev.order_placed("O1", shop.platform_shop_id)
    assert [r["status"] for r in ev.send(client, placed, placed)] == ["applied", "duplicate"]


def test_R82_a_rejected_event_may_be_retried_with_the_same_id(client, shop):
    shipped = ev.order_shipped("O1")
    assert ev.send(client, shipped)[0]["status"] == "rejected"  # the order is not known yet
    ev.send(client, ev.order_placed("O1", shop.platform_shop_id))
    assert ev.send(client, shipped)[0]["status"] == "applied"


def test_R83_a_bad_event_never_blocks_the_others(client, shop):
    results = ev.send(
        client,
        ev.order_placed("O1", shop.platform_shop_id),
        ev.order_shipped("UNKNOWN"),
        ev.order_placed("O2", shop.platform_shop_id),
    )

    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert "unknown order" in results[1]["error"]
    assert Order.objects.count() == 2


def refund_in_shop(client, shop):
    ev.send(client, *order_story("O1", shop.platform_shop_id))


@pytest.mark.parametrize(
    ("event_kwargs", "error"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5.00"}, "must not be negative"),
        ({"amount": "1.005"}, "2 decimal places"),
        ({"amount": "abc"}, "decimal amount"),
        ({"reason": "because"}, "reason must be one of"),
        ({"kind": "exchange"}, "kind must be one of"),
        ({"line_id": "NOPE"}, "unknown line"),
        ({"evidence": [("a.png", b"not an image")]}, "not a valid JPEG, PNG or WebP"),
        ({"evidence": [("a.png", ev.png_bytes())] * 10}, "between 0 and 9"),
        ({"evidence": [("a.gif", ev.png_bytes(fmt="GIF"))]}, "JPEG, PNG or WebP only"),
    ],
)
def test_R83_R84_R85_a_bad_refund_is_rejected_clearly_and_nothing_half_applies(
    client, shop, event_kwargs, error
):
    refund_in_shop(client, shop)

    (result,) = ev.send(client, ev.refund_requested("R1", "O1", **event_kwargs))

    assert result["status"] == "rejected"
    assert error in result["error"]
    assert not RefundRequest.objects.exists() and not Evidence.objects.exists()


@pytest.mark.parametrize(
    ("amount", "payout"),
    [("205.00", "205.00"), ("209.00", "209.00"), ("250.00", "209.00")],
)
def test_R30_R36_a_refund_above_the_paid_amount_is_recorded_and_pays_at_most_paid_plus_10(
    client, shop, rita, amount, payout
):
    """Issue 9: 205.00 on a line paid 199.00 used to be rejected and lost. R30 records every
    request; R36 caps the payout at paid + 10.00; above the cap the request keeps its amount."""
    from decimal import Decimal

    from claims.models import Payout
    from claims.services import decisions

    refund_in_shop(client, shop)

    (result,) = ev.send(client, ev.refund_requested("R1", "O1", amount=amount))

    assert result["status"] == "applied", result
    refund = RefundRequest.objects.get()
    assert refund.amount == Decimal(amount) and refund.claim.payable_cap == Decimal("209.00")
    decisions.claim_approve(claim_id=refund.claim.pk, actor=rita)
    assert Payout.objects.get().amount == Decimal(payout)


def test_R85_a_truncated_image_is_refused(client, shop):
    refund_in_shop(client, shop)
    truncated = ev.png_bytes(size=(200, 200))[:-40]

    (result,) = ev.send(client, ev.refund_requested("R1", "O1", evidence=[("t.png", truncated)]))

    assert result["status"] == "rejected"


def test_R85_R102_evidence_is_verified_and_stored_privately(client, shop, private_media):
    refund_in_shop(client, shop)
    jpeg = ev.png_bytes(fmt="JPEG")

    ev.send(client, ev.refund_requested("R1", "O1", evidence=[("cracked.jpg", jpeg)]))

    evidence = Evidence.objects.get()
    assert (evidence.content_type, evidence.width, evidence.original_name) == (
        "image/jpeg",
        16,
        "cracked.jpg",
    )
    assert default_storage.open(evidence.file.name).read() == jpeg
    assert not evidence.file.name.startswith(("static", "/"))


def test_R83_a_repeated_refund_id_with_different_content_is_rejected(client, shop):
    refund_in_shop(client, shop)
    ev.send(client, ev.refund_requested("R1", "O1", amount="100.00"))

    (result,) = ev.send(client, ev.refund_requested("R1", "O1", amount="120.00"))

    assert result["status"] == "rejected" and "different content" in result["error"]
    assert RefundRequest.objects.get().amount == 100


def test_R83_an_event_for_an_unknown_shop_is_rejected(client, shop):
    (result,) = ev.send(client, ev.order_placed("O1", "TM-NOT-OURS"))
    assert result["status"] == "rejected" and "unknown shop" in result["error"]


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b'{"events": "nope"}', 400),
    ],
)
def test_R83_malformed_requests_are_400(client, raw, status):
    assert ev.post(client, None, raw=raw).status_code == status


def test_R80_more_than_1000_events_is_refused(client):
    payload = {"events": [{"id": str(i)} for i in range(1001)]}
    response = ev.post(client, payload)
    assert response.status_code == 400 and "1000" in response.json()["error"]


def test_R83_a_body_over_the_limit_is_413(client, monkeypatch):
    monkeypatch.setattr("platform_api.views.MAX_BODY_BYTES", 100)
    response = ev.post(client, {"events": [{"id": "x" * 200}]})
    assert response.status_code == 413


def test_R83_envelope_errors_are_per_event(client):
    results = ev.send(
        client,
        {"id": "e1", "type": "order.teleported", "occurred_at": "x", "data": {}},
        {"type": "order.shipped"},
        "just a string",
    )
    assert [r["status"] for r in results] == ["rejected"] * 3
    assert "type must be one of" in results[0]["error"]
    assert results[1]["id"] is None and "id is required" in results[1]["error"]


def test_R87_the_marketplace_reads_a_refund_and_its_claim_back(client, shop):
    refund_in_shop(client, shop)
    ev.send(
        client,
        ev.refund_requested("R1", "O1", kind="return_and_refund", amount="150.00"),
        ev.refund_requested("R2", "O1", reason="other"),
    )

    body = ev.get(client, "/api/v1/refunds/R1").json()
    assert body["covered"] is True and body["not_covered_reason"] is None
    claim = body["claim"]
    assert claim["state"] == "submitted" and claim["payable_cap"] == "209.00"
    assert claim["payout_amount"] is None and claim["decided_by"] is None
    assert claim["review_due_at"].endswith("+08:00")

    other = ev.get(client, "/api/v1/refunds/R2").json()
    assert (other["covered"], other["not_covered_reason"], other["claim"]) == (
        False,
        "reason_not_covered",
        None,
    )
    assert ev.get(client, "/api/v1/refunds/NOPE").status_code == 404


def test_R87_reads_need_a_signature_over_the_path(client):
    response = client.get("/api/v1/refunds/R1", headers=signed_headers(b"/api/v1/refunds/R2"))
    assert response.status_code == 401
