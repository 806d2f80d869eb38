"""R110/R111: every path through the claim state machine tells the marketplace, signed, over
real HTTP to a receiver on 127.0.0.1, in the order things happened (R112)."""

import datetime as dt
import json

import jsonschema
import pytest
from django.utils import timezone

from claims.models import Buyer, Claim
from claims.services import decisions
from claims.services.feedback import buyer_revoke_eligibility
from claims.services.sweep import sweep_deadlines
from outbox.models import Message
from outbox.types import DATA, data_schema
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db

SHIPPED = ev.T0 + dt.timedelta(days=6)
# What every road to a breach tells (R38): an overruled refusal, a receipt the sweep takes as
# confirmed, a late confirmation: the decision, the breach, the refund, the buyer's compensation.
BREACH_THEN_REFUND = ["claim.decided", "merchant.breach", "claim.refund_due", "buyer.compensation"]


def sent_about(receiver, refund_id="R1") -> list[tuple[str, dict]]:
    return [
        (r.type, r.envelope["data"])
        for r in receiver.delivered()
        if r.envelope["data"].get("refund_id") == refund_id
    ]


def types(receiver, refund_id="R1") -> list[str]:
    return [kind for kind, _data in sent_about(receiver, refund_id)]


def assert_all_valid(receiver):
    """Every callback is signed with the shared secret, has the envelope of R110 and the data
    the declarations say (the same the OpenAPI document serves)."""
    assert receiver.received, "nothing was posted"
    for r in receiver.received:
        assert r.signed, r.raw
        envelope = r.envelope
        assert set(envelope) == {"id", "type", "occurred_at", "data"}
        assert envelope["type"] in DATA
        dt.datetime.fromisoformat(envelope["occurred_at"])
        jsonschema.validate(envelope["data"], data_schema(envelope["type"]))


@pytest.fixture
def claim(request_refund):
    return request_refund(kind="return_and_refund", amount="199.00").claim


def approve(claim, rita):
    decisions.claim_approve(claim_id=claim.pk, actor=rita, note="图片清楚")
    claim.refresh_from_db()
    return claim


def ship(client):
    ev.send(client, ev.return_shipped("R1", at=SHIPPED, reported_at=SHIPPED))


def refuse(claim, alice):
    decisions.claim_refuse_receipt(
        claim_id=claim.pk,
        actor=alice,
        ground="empty_parcel",
        note="空包裹",
        evidence=[("box.png", ev.png_bytes())],
        at=SHIPPED + dt.timedelta(days=2),
    )


def test_R111_policy_issued_at_shipment_and_again_with_its_coverage(
    received_order, deliver, receiver
):
    deliver()
    policies = [r.envelope for r in receiver.delivered() if r.type == "policy.issued"]
    assert [p["data"]["order_id"] for p in policies] == ["O1", "O1"]
    first, covered = policies[0]["data"], policies[1]["data"]
    assert (first["coverage_start"], first["coverage_end"]) == (None, None)
    assert first["premium"] == covered["premium"] and first["premium"].count(".") == 1
    start = dt.datetime.fromisoformat(covered["coverage_start"])
    end = dt.datetime.fromisoformat(covered["coverage_end"])
    assert end - start == dt.timedelta(hours=720)  # R23
    assert policies[0]["id"] != policies[1]["id"]
    assert_all_valid(receiver)


def test_R111_refund_only_approved_by_a_reviewer(request_refund, rita, deliver, receiver):
    claim = request_refund(kind="refund_only", amount="150.00").claim
    decisions.claim_approve(claim_id=claim.pk, actor=rita, note="图片清楚")
    deliver()
    assert sent_about(receiver) == [
        (
            "claim.decided",
            {
                "refund_id": "R1",
                "decision": "approved",
                "reason": "图片清楚",
                "decided_by": "reviewer",
                "return_address": None,
                "return_due_at": None,
            },
        ),
        ("claim.refund_due", {"refund_id": "R1", "amount": "150.00"}),
    ]
    assert_all_valid(receiver)


def test_R111_rejected_with_the_reason(claim, rita, deliver, receiver):
    decisions.claim_reject(claim_id=claim.pk, actor=rita, reason="图片无法证明质量问题")
    deliver()
    ((kind, data),) = sent_about(receiver)
    assert kind == "claim.decided"
    assert (data["decision"], data["reason"], data["decided_by"]) == (
        "rejected",
        "图片无法证明质量问题",
        "reviewer",
    )
    assert_all_valid(receiver)


def test_R111_a_confirmed_return_refunds_the_buyer_and_pays_10_for_shipping(
    client, claim, rita, alice, deliver, receiver
):
    approve(claim, rita)
    ship(client)
    decisions.claim_confirm_receipt(claim_id=claim.pk, actor=alice, at=SHIPPED + dt.timedelta(1))
    deliver()
    sent = dict(sent_about(receiver))
    assert types(receiver) == ["claim.decided", "claim.refund_due", "buyer.compensation"]
    decided = sent["claim.decided"]
    assert "杭州市余杭区" in decided["return_address"]  # R33: pushed to the buyer
    due = dt.datetime.fromisoformat(decided["return_due_at"])
    assert due == Claim.objects.get().return_due_at
    assert sent["claim.refund_due"]["amount"] == "199.00"
    assert sent["buyer.compensation"] == {
        "refund_id": "R1",
        "buyer_id": "buyer-1",
        "amount": "10.00",
    }
    assert_all_valid(receiver)


def test_R111_a_return_not_shipped_in_time_closes(claim, rita, deliver, receiver):
    approve(claim, rita)
    sweep_deadlines(now=claim.return_due_at + dt.timedelta(minutes=1))
    deliver()
    assert sent_about(receiver)[-1] == (
        "claim.closed",
        {"refund_id": "R1", "state": "closed_timeout"},
    )
    assert types(receiver) == ["claim.decided", "claim.closed"]
    assert_all_valid(receiver)


def test_R111_an_upheld_refusal_closes(client, claim, rita, alice, deliver, receiver):
    approve(claim, rita)
    ship(client)
    refuse(claim, alice)
    decisions.claim_uphold_refusal(claim_id=claim.pk, actor=rita)
    deliver()
    assert types(receiver) == ["claim.decided", "claim.closed"]
    assert sent_about(receiver)[-1][1]["state"] == "closed_refused"
    assert_all_valid(receiver)


def test_R111_an_overruled_refusal_is_a_breach_then_the_refund(
    client, claim, rita, alice, deliver, receiver
):
    approve(claim, rita)
    ship(client)
    refuse(claim, alice)
    decisions.claim_overrule_refusal(claim_id=claim.pk, actor=rita)
    deliver()
    assert types(receiver) == BREACH_THEN_REFUND
    breach = dict(sent_about(receiver))["merchant.breach"]
    assert breach == {"refund_id": "R1", "line_id": "O1-1", "buyer_id": "buyer-1", "points": 10000}
    assert_all_valid(receiver)


def test_R111_a_return_the_merchant_left_unconfirmed_is_taken_as_received_by_the_sweep(
    client, claim, rita, deliver, receiver
):
    approve(claim, rita)
    ship(client)
    claim.refresh_from_db()
    sweep_deadlines(now=claim.receipt_due_at + dt.timedelta(minutes=1))
    deliver()
    assert types(receiver) == BREACH_THEN_REFUND
    occurred = {r.type: r.envelope["occurred_at"] for r in receiver.delivered()}
    assert dt.datetime.fromisoformat(occurred["merchant.breach"]) == claim.receipt_due_at
    assert_all_valid(receiver)


def test_R111_a_late_confirmation_by_the_merchant_owes_the_breach(
    client, claim, rita, alice, deliver, receiver
):
    approve(claim, rita)
    ship(client)
    claim.refresh_from_db()
    late = claim.receipt_due_at + dt.timedelta(hours=1)
    decisions.claim_confirm_receipt(claim_id=claim.pk, actor=alice, at=late)
    deliver()
    assert types(receiver) == BREACH_THEN_REFUND
    assert_all_valid(receiver)


def test_R111_a_withdrawn_request_closes_as_cancelled(client, claim, deliver, receiver):
    ev.send(client, ev.refund_cancelled("R1"))
    deliver()
    assert sent_about(receiver) == [("claim.closed", {"refund_id": "R1", "state": "cancelled"})]
    assert_all_valid(receiver)


def test_R111_a_fast_tracked_claim_is_decided_by_the_system(send_order_story, deliver, receiver):
    send_order_story("O9", buyer="vip", tier=5, refund_id="R9", amount="99.00")
    assert Claim.objects.get().state == "paid"
    deliver()
    sent = sent_about(receiver, "R9")
    assert [kind for kind, _ in sent] == ["claim.decided", "claim.refund_due"]
    decided = sent[0][1]
    assert decided["decided_by"] == "system" and decided["reason"].startswith("R39")
    assert sent[1][1]["amount"] == "99.00"
    assert_all_valid(receiver)


def test_R111_a_buyer_stripped_of_eligibility(claim, rita, deliver, receiver):
    buyer = Buyer.objects.get(platform_buyer_id="buyer-1")
    buyer_revoke_eligibility(buyer_id=buyer.pk, actor=rita, reason="多次恶意退款")
    deliver()
    (revoked,) = [r.envelope for r in receiver.delivered() if r.type.startswith("buyer.elig")]
    assert revoked["data"] == {"buyer_id": "buyer-1", "reason": "多次恶意退款"}
    assert_all_valid(receiver)


def test_R112_a_change_rolled_back_leaves_no_message(claim, rita, django_assert_num_queries):
    from django.db import transaction

    before = Message.objects.count()
    with transaction.atomic():
        decisions.claim_reject(claim_id=claim.pk, actor=rita, reason="x")
        assert Message.objects.count() == before + 1
        transaction.set_rollback(True)
    assert Message.objects.count() == before


def test_R112_message_ids_are_stable_and_bodies_frozen(claim, rita, deliver, receiver):
    decisions.claim_reject(claim_id=claim.pk, actor=rita, reason="x")
    message = Message.objects.get(type="claim.decided")
    envelope = json.loads(message.body)
    assert envelope["id"] == str(message.message_id)
    assert timezone.now() - message.created_at < dt.timedelta(minutes=1)
