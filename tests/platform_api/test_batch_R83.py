"""The batch applier (platform_api.batch, issue 10): set-based where it can, with each event's
own outcome and atomicity (R83), idempotent by event id (R82), order kept within a batch."""

import datetime as dt
import json
import logging

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django_fsm_log.models import StateLog

from claims import rollups
from claims.models import (
    BuyerCompensation,
    Claim,
    Evidence,
    Order,
    OrderLine,
    Payout,
    Policy,
    RefundRequest,
)
from claims.services.policies import policy_number
from outbox.models import Message
from platform_api import bulk, bulk_refunds
from platform_api.batch import CONFLICT
from platform_api.handlers import HANDLERS
from platform_api.models import PlatformEvent
from tests.platform_api import events as ev
from tests.security.invariants import assert_evidence_valid, evidence_files

pytestmark = pytest.mark.django_db

FALLBACK = "next strategy"  # what platform_api.batch logs when a chunk falls back


def named(prefix: str, events: list[dict]) -> list[dict]:
    """The events with ids of their own (so that a script can run twice, once per path)."""
    for n, event in enumerate(events):
        event["id"] = f"{prefix}-e{n}"
    return events


def script(p: str, shop_id: str) -> list[dict]:
    """Every outcome of each set-based event type, in one batch: applied, fast-tracked (R39),
    duplicates within the batch and rejections of each kind (R83)."""
    two_lines = [
        {"line_id": "L1", "sku": "S1", "title": "壶", "quantity": 1, "paid_amount": "99.00"},
        {"line_id": "L2", "sku": "S2", "title": "杯", "quantity": 2, "paid_amount": "40.00"},
    ]
    late = ev.T0 + dt.timedelta(days=1)
    placed = [
        ev.order_placed(f"{p}O1", shop_id, buyer=f"{p}B1", tier=5),
        ev.order_placed(f"{p}O2", shop_id, buyer=f"{p}B2", tier=5),
        ev.order_placed(f"{p}O3", shop_id, buyer=f"{p}B3", tier=1),
        ev.order_placed(f"{p}O4", shop_id, buyer=f"{p}B1", tier=4, lines=two_lines),
        ev.order_placed(f"{p}O5", "NO-SUCH-SHOP", buyer=f"{p}B4"),
        ev.order_placed(f"{p}O1", shop_id, buyer=f"{p}B1"),  # duplicate_order
        ev.order_placed(
            f"{p}O6",
            shop_id,
            buyer=f"{p}B5",
            tier=5,
            lines=[
                {"line_id": "L1", "sku": "S", "title": "t", "quantity": 1, "paid_amount": "999.00"}
            ],
        ),
        ev.order_placed(f"{p}O7", shop_id, buyer=f"{p}B6"),
    ]
    shipped = [ev.order_shipped(f"{p}O{n}") for n in (1, 2, 3, 4, 6)] + [
        ev.order_shipped(f"{p}O5"),  # unknown order
        ev.order_shipped(f"{p}O3", at=late),  # already shipped
        ev.order_shipped(f"{p}O8"),
    ]
    received = [ev.order_received(f"{p}O{n}") for n in (1, 2, 3, 4, 6)] + [
        ev.order_received(f"{p}O7"),  # not shipped
        ev.order_received(f"{p}O1"),  # already received
    ]
    refunds = [
        ev.refund_requested(f"{p}R1", f"{p}O1"),  # R39: refund-only, paid at once
        ev.refund_requested(f"{p}R2", f"{p}O2", kind="return_and_refund"),  # R39: a return
        ev.refund_requested(f"{p}R3", f"{p}O3"),  # tier 1: for review
        ev.refund_requested(f"{p}R4", f"{p}O4", line_id="L1", amount="99.00"),  # B1's 2nd claim
        ev.refund_requested(f"{p}R5", f"{p}O4", line_id="L1", amount="99.00"),  # line_has_claim
        ev.refund_requested(f"{p}R6", f"{p}O4", line_id="L2", reason="wrong_size"),  # merchant's
        ev.refund_requested(f"{p}R1", f"{p}O1"),  # duplicate_refund
        ev.refund_requested(f"{p}R1", f"{p}O1", amount="5.00"),  # refund_conflict
        ev.refund_requested(f"{p}R8", f"{p}O7"),  # no policy
        ev.refund_requested(
            f"{p}R9", f"{p}O6", line_id="L1", amount="999.00"
        ),  # above the fast-track amount
        ev.refund_requested(f"{p}R10", f"{p}O3", evidence=[("x.png", b"not an image")]),
        ev.refund_requested(f"{p}R11", f"{p}O1", line_id="NOPE"),
        ev.refund_requested(f"{p}R12", f"{p}O5"),
    ]
    follow_ups = [
        ev.return_shipped(f"{p}R2", reported_at=ev.T0 + dt.timedelta(days=6)),
        ev.refund_cancelled(f"{p}R3"),
    ]
    return named(p, placed + shipped + received + refunds + follow_ups)


def _rows(rows) -> list:
    return sorted(rows, key=repr)  # None and str side by side


def snapshot(p: str) -> dict:
    """The rows the script wrote, by natural key with its prefix taken out."""

    def n(value):
        return value.replace(p, "X") if isinstance(value, str) else value

    orders = Order.objects.filter(platform_order_id__startswith=p).select_related("buyer")
    claims = Claim.objects.filter(refund__platform_refund_id__startswith=p)
    claim_fields = [
        f.attname
        for f in Claim._meta.concrete_fields
        if f.attname not in ("id", "refund_id", "line_id", "policy_id", "buyer_id")
    ]
    return {
        "orders": _rows(
            (n(o.platform_order_id), n(o.buyer.platform_buyer_id), o.buyer.credit_tier)
            + (o.paid_amount, o.placed_at, o.insured, o.rate, o.shipped_at, o.received_at)
            for o in orders
        ),
        "lines": _rows(
            (n(line.order.platform_order_id), n(line.platform_line_id), line.sku, line.title)
            + (line.quantity, line.paid_amount)
            for line in OrderLine.objects.filter(order__in=orders).select_related("order")
        ),
        "policies": _rows(
            (n(x.order.platform_order_id), x.policy_no == policy_number(x.order, x.issued_at))
            + (x.premium, x.rate, x.issued_at, x.coverage_start, x.coverage_end, x.claim_status)
            for x in Policy.objects.filter(order__in=orders).select_related("order")
        ),
        "refunds": _rows(
            (n(r.platform_refund_id), n(r.order.platform_order_id), n(r.line.platform_line_id))
            + (r.kind, r.reason, r.amount, r.description, r.requested_at, r.covered)
            + (r.not_covered_reason, r.state, r.cancelled_at)
            for r in RefundRequest.objects.filter(order__in=orders).select_related("order", "line")
        ),
        "claims": _rows(
            (n(c.refund.platform_refund_id), *(getattr(c, f) for f in claim_fields))
            for c in claims.select_related("refund")
        ),
        "audit": _rows(
            (n(c.refund.platform_refund_id), s.source_state, s.state, s.transition)
            + (s.description, s.timestamp, s.by_id)
            for c in claims.select_related("refund")
            for s in StateLog.objects.filter(object_id=c.pk, content_type__model="claim")
        ),
        "money": _rows(
            [
                (
                    "payout",
                    n(x.claim.refund.platform_refund_id),
                    x.amount,
                    x.paid_at,
                    x.alipay_account,
                )
                for x in Payout.objects.filter(claim__in=claims).select_related("claim__refund")
            ]
            + [
                ("compensation", n(x.claim.refund.platform_refund_id), x.amount, x.paid_at, "")
                for x in BuyerCompensation.objects.filter(claim__in=claims).select_related(
                    "claim__refund"
                )
            ]
        ),
        "evidence": _rows(
            (n(e.refund.platform_refund_id), e.claim_id is not None, e.kind, e.original_name)
            + (e.content_type, e.width, e.height, e.size, e.sha256)
            for e in Evidence.objects.filter(refund__order__in=orders).select_related("refund")
        ),
        # R112: the messages to the marketplace, each order's and refund's in their order
        "outbox": sorted(
            (
                (n(m.key), m.type, m.status, m.occurred_at)
                + tuple(
                    (k, n(v)) for k, v in json.loads(m.body)["data"].items() if k != "policy_no"
                )
                for m in Message.objects.filter(key__contains=p).order_by("seq")
            ),
            key=lambda row: row[0],
        ),
        "events": _rows(
            (n(e.event_id), e.type, e.occurred_at)
            for e in PlatformEvent.objects.filter(event_id__startswith=p)
        ),
    }


def outcome(p: str, results: list[dict]) -> list[tuple]:
    return [
        (r["id"].replace(p, "X"), r["status"], (r.get("error") or "").replace(p, "X"))
        for r in results
    ]


def rollup_delta(before: dict, after: dict) -> dict:
    delta = {}
    for table, rows in after.items():
        for key, values in rows.items():
            old = before.get(table, {}).get(key, {})
            change = {c: v - old.get(c, 0) for c, v in values.items() if v != old.get(c, 0)}
            if change:
                delta[(table, key)] = change
    return delta


def test_R83_the_set_based_path_writes_exactly_the_rows_of_the_per_event_path(
    client, shop, monkeypatch, caplog
):
    caplog.set_level(logging.INFO, logger="platform_api.batch")
    shop_id = shop.platform_shop_id
    start = rollups.current()
    set_based = outcome("SB_", ev.send(client, *script("SB_", shop_id)))
    middle = rollups.current()
    assert FALLBACK not in caplog.text  # every chunk went set-based

    monkeypatch.setattr(bulk, "APPLIERS", {})  # each event through its service, as before
    per_event = outcome("PE_", ev.send(client, *script("PE_", shop_id)))

    assert set_based == per_event
    statuses = [status for _id, status, _error in set_based]
    assert statuses.count("rejected") == 13 and statuses.count("duplicate") == 0
    assert snapshot("SB_") == snapshot("PE_")
    assert {row[1] for row in snapshot("SB_")["outbox"]} == {
        "policy.issued",
        "claim.decided",
        "claim.refund_due",
        "claim.closed",
    }
    assert rollup_delta(start, middle) == rollup_delta(middle, rollups.current())
    assert rollups.current() == rollups.recount()
    # what the script means to cover did happen
    claims = Claim.objects.filter(refund__platform_refund_id__startswith="SB_")
    assert sorted(claims.values_list("refund__platform_refund_id", "state")) == [
        ("SB_R1", "paid"),
        ("SB_R2", "return_shipped"),
        ("SB_R3", "cancelled"),
        ("SB_R4", "paid"),
        ("SB_R9", "submitted"),
    ]


def test_R83_a_database_error_in_the_middle_event_leaves_the_others_applied_and_no_trace(
    client, shop, caplog
):
    caplog.set_level(logging.INFO, logger="platform_api.batch")
    sid = shop.platform_shop_id
    ev.send(client, *(ev.order_placed(o, sid, buyer=f"b{o}") for o in ("A", "M", "B", "D")))
    ev.send(client, ev.order_shipped("D"))
    shipped_at = ev.T0 + dt.timedelta(hours=5)
    # Another writer took the policy number M's shipment will get: the database refuses it
    # (unique policy_no), which no check before the INSERT can see.
    Policy.objects.filter(order__platform_order_id="D").update(
        policy_no=policy_number(Order.objects.get(platform_order_id="M"), shipped_at)
    )
    batch = [ev.order_shipped(o, at=shipped_at) for o in ("A", "M", "B")]

    results = ev.send(client, *batch)

    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["error"] == CONFLICT
    assert FALLBACK in caplog.text  # the set-based chunk rolled back and fell back
    assert Order.objects.get(platform_order_id="M").shipped_at is None
    assert not PlatformEvent.objects.filter(event_id=batch[1]["id"]).exists()
    assert Policy.objects.filter(order__platform_order_id__in=["A", "B"]).count() == 2
    # the platform resends it once the conflict is gone, and it applies
    Policy.objects.filter(order__platform_order_id="D").update(policy_no="WP-D")
    assert ev.send(client, batch[1])[0]["status"] == "applied"


def test_R83_R85_a_chunk_that_fails_after_writing_evidence_leaves_no_file_behind(
    client, shop, monkeypatch, caplog
):
    caplog.set_level(logging.INFO, logger="platform_api.batch")
    sid = shop.platform_shop_id
    for stage in (
        [ev.order_placed(f"E{i}", sid, buyer=f"e{i}") for i in range(3)],
        [ev.order_shipped(f"E{i}") for i in range(3)],
        [ev.order_received(f"E{i}") for i in range(3)],
    ):
        ev.send(client, *stage)
    files_before = evidence_files()
    original = bulk_refunds._insert_evidence

    def then_fail(requests):
        original(requests)  # the files are written
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")  # a database error after them

    monkeypatch.setattr(bulk_refunds, "_insert_evidence", then_fail)

    results = ev.send(client, *(ev.refund_requested(f"ER{i}", f"E{i}") for i in range(3)))

    assert [r["status"] for r in results] == ["applied"] * 3  # by the savepoint strategy
    assert FALLBACK in caplog.text
    assert Evidence.objects.count() == 3
    assert_evidence_valid(files_before=files_before)  # no file of the rolled-back attempt


def test_R83_a_deadlock_victim_is_applied_once_by_a_later_attempt(client, shop, monkeypatch):
    """A deadlock rolls the savepoint chunk back; the event is then tried alone, and once
    more in a new transaction: applied once, nothing of the failed attempts left."""
    failures = []
    place = HANDLERS["order.placed"]

    def deadlocked_twice(data, stored, occurred_at):
        place(data, stored, occurred_at)  # its rows are written, then the deadlock hits
        if len(failures) < 2:
            failures.append(data["order_id"])
            raise OperationalError("deadlock detected")

    monkeypatch.setattr(bulk, "APPLIERS", {})
    monkeypatch.setitem(HANDLERS, "order.placed", deadlocked_twice)
    results = ev.send(client, ev.order_placed("K1", shop.platform_shop_id))

    assert failures == ["K1", "K1"]
    assert results[0]["status"] == "applied"
    assert Order.objects.filter(platform_order_id="K1").count() == 1
    assert PlatformEvent.objects.filter(event_id=results[0]["id"]).count() == 1


def test_R80_an_order_placed_shipped_and_received_in_one_batch_is_covered(client, shop):
    sid = shop.platform_shop_id
    results = ev.send(
        client,
        ev.order_placed("Q1", sid),
        ev.order_shipped("Q1"),
        ev.order_received("Q1"),
        ev.refund_requested("QR1", "Q1", reason="wrong_size"),
        ev.order_placed("Q2", sid),
    )
    assert [r["status"] for r in results] == ["applied"] * 5
    assert RefundRequest.objects.get(platform_refund_id="QR1").not_covered_reason
    assert Policy.objects.get(order__platform_order_id="Q1").coverage_start is not None


def test_R82_an_event_id_twice_in_one_batch_is_applied_once(client, shop):
    placed = ev.order_placed("T1", shop.platform_shop_id)
    results = ev.send(client, placed, placed, ev.order_shipped("T1"), placed)
    assert [r["status"] for r in results] == ["applied", "duplicate", "applied", "duplicate"]
    assert PlatformEvent.objects.filter(event_id=placed["id"]).count() == 1


def _stages(prefix: str, n: int, sid: str) -> list[dict]:
    """n orders through placement, shipment, receipt and a refund request each (the bench's
    shape): 4 chunks, one per type; some claims fast-tracked, some for review."""
    orders = [f"{prefix}{i}" for i in range(n)]
    return (
        [ev.order_placed(o, sid, buyer=f"{o}b", tier=1 + i % 5) for i, o in enumerate(orders)]
        + [ev.order_shipped(o) for o in orders]
        + [ev.order_received(o) for o in orders]
        + [
            ev.refund_requested(f"{o}R", o, kind=("refund_only", "return_and_refund")[i % 2])
            for i, o in enumerate(orders)
        ]
    )


def test_R80_a_batch_costs_a_few_queries_per_chunk_not_per_event(client, shop):
    sid = shop.platform_shop_id
    ev.send(client, *_stages("W", 5, sid))  # the per-batch caches' first reads
    counts = {}
    for n in (10, 100):
        with CaptureQueriesContext(connection) as captured:
            statuses = {r["status"] for r in ev.send(client, *_stages(f"N{n}-", n, sid))}
        assert statuses == {"applied"}
        counts[n] = len(captured.captured_queries)
    print(f"queries per batch: {counts[10]} for 40 events, {counts[100]} for 400")
    assert counts[100] == counts[10]  # whatever the batch's size
    assert counts[100] <= 60  # about a dozen per chunk of one type
