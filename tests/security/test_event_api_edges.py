"""R80-R83 at the edges the fuzzers found: hostile but signed input is a 400 or a per-event
rejection with a clear message, never a 5xx, never half-stored; on SQLite and PostgreSQL alike.

Each of these was a 500 (or an "internal error, retry later" that a retry can never fix)
before the fix in platform_api/{views,schemas,ingest}.py.
"""

import datetime as dt
import json

import pytest

from claims.models import Order
from platform_api.models import PlatformEvent
from tests.platform_api import events as ev
from tests.security.invariants import assert_consistent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


def post_raw(client, body: bytes):
    return ev.post(client, None, raw=body)


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_R80_deeply_nested_json_is_a_400_not_a_crash(client, depth):
    response = post_raw(client, b"[" * depth + b"]" * depth)

    assert response.status_code == 400  # a list is not an event; too deep is not JSON we read
    assert response.json()["error"] in (
        "malformed JSON",
        'send one event object or {"events": [...]}',
    )


@pytest.mark.parametrize(
    "instant",
    [
        "0001-01-01T00:00:00+01:00",  # before year 1 once in UTC: datetime overflows
        "9999-12-31T23:59:59-01:00",  # after year 9999 once in UTC
        "9999-12-01T00:00:00Z",  # + 720 h of coverage would overflow later
        "1999-12-31T23:59:59Z",
        "3000-01-01T00:00:00Z",
    ],
)
def test_R83_a_time_out_of_range_is_rejected_with_a_clear_message(client, shop, instant):
    event = ev.order_placed("T1", shop.platform_shop_id)
    event["data"]["placed_at"] = instant

    (result,) = ev.send(client, event)

    assert result == {
        "id": event["id"],
        "status": "rejected",
        "error": "data.placed_at must be in the years 2000 to 2999",
    }
    assert not Order.objects.exists()


def test_R83_times_at_the_ends_of_the_range_are_accepted(client, shop):
    first = ev.order_placed("T1", shop.platform_shop_id)
    first["occurred_at"] = "2000-01-01T00:00:00Z"
    last = ev.order_placed("T2", shop.platform_shop_id)
    last["occurred_at"] = "2999-12-31T23:59:59Z"

    assert [r["status"] for r in ev.send(client, first, last)] == ["applied", "applied"]


NUL, SURROGATE = "a\x00b", "a\ud800b"  # a lone surrogate arrives as the JSON escape \ud800


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "lone-surrogate"])
@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("id", "id"),
        ("order_id", "data.order_id"),
        ("shop_id", "data.shop_id"),
        ("title", "data.lines[0].title"),
    ],
)
def test_R83_text_the_database_cannot_store_is_rejected_clearly(client, shop, bad, where, message):
    event = ev.order_placed("U1", shop.platform_shop_id)
    if where == "id":
        event["id"] = bad
    elif where == "title":
        event["data"]["lines"][0]["title"] = bad
    else:
        event["data"][where] = bad
    body = json.dumps({"events": [event]}).encode()  # ensure_ascii: \u0000 and \ud800 escapes

    response = post_raw(client, body)

    assert response.status_code == 200, response.content
    (result,) = response.json()["results"]
    assert result["status"] == "rejected"
    assert result["error"].startswith(message + " ")
    assert "internal error" not in result["error"]
    assert not Order.objects.exists() and not PlatformEvent.objects.exists()


def test_R83_bad_text_in_an_evidence_file_name_rejects_the_whole_refund(client, send_order_story):
    send_order_story("O1")
    refund = ev.refund_requested("R1", "O1", evidence=[("ok.png", ev.png_bytes())])
    refund["data"]["evidence"][0]["filename"] = NUL

    (result,) = ev.send(client, refund)

    assert result["status"] == "rejected"
    assert result["error"] == "data.evidence[0].filename must not contain NUL characters"
    assert_consistent()


@pytest.mark.parametrize("path", ["/api/v1/orders/a%00b", "/api/v1/refunds/%00"])
def test_R87_reading_back_an_id_with_a_nul_is_a_404(client, path):
    assert ev.get(client, path).status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/orders/O1", "/api/v1/refunds/R1"])
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_R87_a_wrong_method_on_a_read_back_url_is_a_405_not_a_csrf_403(path, method):
    from django.test import Client

    response = getattr(Client(enforce_csrf_checks=True), method)(path)

    assert response.status_code == 405


def test_R82_the_fuzzers_time_window_holds_for_real_life_cycles(send_order_story):
    """The range leaves room for every deadline the services add (720 h, review, return)."""
    at = dt.datetime(2999, 11, 1, tzinfo=dt.UTC)
    results = send_order_story(
        "L1",
        placed_at=at,
        shipped_at=at + dt.timedelta(hours=5),
        received_at=at + dt.timedelta(days=2),
        refund_id="LR1",
        requested_at=at + dt.timedelta(days=3),
    )
    assert all(r["status"] == "applied" for r in results), results
    assert_consistent()
