"""R32-R38, R41-R42: a claim from review to payout, through every branch of its state machine."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from claims.models import BuyerCompensation, Claim, Payout, Policy, ServiceBreach
from claims.services import decisions
from portal.audit import timeline
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db


def states(claim):
    return [e.state for e in timeline(claim)]


def test_R35_R41_an_approved_refund_only_claim_is_refunded_and_paid_in_one_request(
    request_refund, rita, shop
):
    claim = request_refund(kind="refund_only", amount="150.00").claim

    decisions.claim_approve(claim_id=claim.pk, actor=rita, note="图片清楚")

    claim.refresh_from_db()
    assert claim.state == "paid"
    assert states(claim) == ["submitted", "approved", "refunded", "paid"]
    payout = Payout.objects.get(claim=claim)
    assert payout.amount == D("150.00")
    assert payout.alipay_account == "13800138000"
    assert not BuyerCompensation.objects.exists()  # R37 is for returns only
    assert Policy.objects.get().claim_status == "claim_paid"  # R24: 理赔成功


def test_R36_the_payout_is_capped_at_the_paid_amount_plus_10():
    claim = Claim(amount=D("250.00"), payable_cap=D("209.00"))
    assert claim.payable == D("209.00")
    claim.amount = D("199.00")
    assert claim.payable == D("199.00")


def test_R36_the_cap_is_stored_from_the_lines_paid_amount(request_refund):
    claim = request_refund(amount="199.00").claim
    assert claim.payable_cap == D("209.00")


def test_R32_a_rejected_claim_goes_back_to_the_merchant_with_a_reason(request_refund, rita):
    claim = request_refund().claim

    with pytest.raises(ValidationError):
        decisions.claim_reject(claim_id=claim.pk, actor=rita, reason="")
    decisions.claim_reject(claim_id=claim.pk, actor=rita, reason="图片无法证明质量问题")

    claim.refresh_from_db()
    assert (claim.state, claim.rejection_reason) == ("rejected", "图片无法证明质量问题")
    assert not Payout.objects.exists()
    assert Policy.objects.get().claim_status == "claim_closed"


@pytest.fixture
def return_claim(client, request_refund, rita):
    claim = request_refund(kind="return_and_refund", amount="199.00").claim
    decisions.claim_approve(claim_id=claim.pk, actor=rita)
    claim.refresh_from_db()
    return claim


def test_R33_an_approved_return_gets_the_address_and_a_7_day_deadline(return_claim):
    assert return_claim.state == "awaiting_return"
    assert "杭州市余杭区" in return_claim.return_address
    assert return_claim.return_due_at - return_claim.decided_at == dt.timedelta(days=7)


def test_R34_R35_R37_a_confirmed_return_pays_the_shop_and_the_buyer(client, return_claim, alice):
    shipped = ev.T0 + dt.timedelta(days=6)
    ev.send(client, ev.return_shipped("R1", at=shipped, reported_at=shipped))
    return_claim.refresh_from_db()
    assert return_claim.state == "return_shipped"
    assert return_claim.receipt_due_at - return_claim.return_shipped_at == dt.timedelta(days=10)

    decisions.claim_confirm_receipt(
        claim_id=return_claim.pk, actor=alice, at=shipped + dt.timedelta(days=3)
    )
    assert not ServiceBreach.objects.exists()  # in time: no R38 breach

    return_claim.refresh_from_db()
    assert return_claim.state == "paid"
    assert Payout.objects.get().amount == D("199.00")
    assert BuyerCompensation.objects.get().amount == D("10.00")
    assert states(return_claim)[-4:] == ["return_shipped", "received", "refunded", "paid"]


def test_R34_receipt_can_only_be_refused_on_the_four_grounds_with_evidence(
    client, return_claim, alice
):
    ev.send(client, ev.return_shipped("R1"))
    photo = [("parcel.jpg", ev.png_bytes(fmt="JPEG"))]

    with pytest.raises(ValidationError):
        decisions.claim_refuse_receipt(
            claim_id=return_claim.pk, actor=alice, ground="changed_my_mind", note="", evidence=photo
        )
    with pytest.raises(ValidationError):
        decisions.claim_refuse_receipt(
            claim_id=return_claim.pk, actor=alice, ground="empty_parcel", note="", evidence=[]
        )
    decisions.claim_refuse_receipt(
        claim_id=return_claim.pk, actor=alice, ground="empty_parcel", note="空箱", evidence=photo
    )

    return_claim.refresh_from_db()
    assert (return_claim.state, return_claim.refusal_ground) == ("receipt_refused", "empty_parcel")
    assert return_claim.evidence.filter(kind="refusal").count() == 1


def _refused(client, claim, merchant):
    ev.send(client, ev.return_shipped("R1"))
    decisions.claim_refuse_receipt(
        claim_id=claim.pk,
        actor=merchant,
        ground="wrong_item",
        note="不是我们的货",
        evidence=[("x.png", ev.png_bytes())],
    )


def test_R34_an_upheld_refusal_closes_the_claim_without_payout(client, return_claim, alice, rita):
    _refused(client, return_claim, alice)

    decisions.claim_uphold_refusal(claim_id=return_claim.pk, actor=rita, note="证据充分")

    return_claim.refresh_from_db()
    assert return_claim.state == "closed_refused"
    assert not Payout.objects.exists() and not ServiceBreach.objects.exists()


def test_R34_R38_an_overruled_refusal_pays_and_records_a_breach(client, return_claim, alice, rita):
    _refused(client, return_claim, alice)

    decisions.claim_overrule_refusal(claim_id=return_claim.pk, actor=rita, note="物流正常签收")

    return_claim.refresh_from_db()
    assert return_claim.state == "paid"
    breach = ServiceBreach.objects.get()
    assert (breach.cause, breach.points, breach.settled) == ("refusal_overruled", 10_000, False)
    decisions.breach_settle(breach_id=breach.pk, actor=rita)
    breach.refresh_from_db()
    assert breach.settled


def test_R41_a_return_tracking_number_for_a_refund_only_claim_is_rejected(client, request_refund):
    request_refund(kind="refund_only")

    (result,) = ev.send(client, ev.return_shipped("R1"))

    assert result["status"] == "rejected"
    assert "refund-only" in result["error"]
    assert Claim.objects.get().state == "submitted"


def test_R41_the_buyer_may_cancel_while_in_review_or_awaiting_return(client, return_claim):
    ev.send(client, ev.refund_cancelled("R1"))

    return_claim.refresh_from_db()
    assert return_claim.state == "cancelled"
    assert Policy.objects.get().claim_status == "claim_closed"


def test_R41_a_paid_claim_cannot_be_cancelled(client, request_refund, rita):
    claim = request_refund(kind="refund_only").claim
    decisions.claim_approve(claim_id=claim.pk, actor=rita)

    (result,) = ev.send(client, ev.refund_cancelled("R1"))

    assert result["status"] == "rejected" and "paid" in result["error"]


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_R40_a_decided_claim_cannot_be_decided_again(request_refund, rita, action):
    claim = request_refund(kind="return_and_refund").claim
    decisions.claim_reject(claim_id=claim.pk, actor=rita, reason="x")

    with pytest.raises(ValidationError) as error:
        if action == "approve":
            decisions.claim_approve(claim_id=claim.pk, actor=rita)
        else:
            decisions.claim_reject(claim_id=claim.pk, actor=rita, reason="y")
    assert error.value.code == "illegal_transition"


def test_R42_the_database_allows_one_payout_and_one_compensation_per_claim(request_refund, rita):
    claim = request_refund(kind="refund_only").claim
    decisions.claim_approve(claim_id=claim.pk, actor=rita)

    with pytest.raises(IntegrityError), transaction.atomic():
        Payout.objects.create(
            claim=claim,
            shop_id=claim.shop_id,
            amount=D("1.00"),
            alipay_account="x",
            paid_at=claim.submitted_at,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        BuyerCompensation.objects.bulk_create(
            [
                BuyerCompensation(
                    claim=claim,
                    buyer_id=claim.buyer_id,
                    amount=D("10.00"),
                    paid_at=claim.submitted_at,
                ),
                BuyerCompensation(
                    claim=claim,
                    buyer_id=claim.buyer_id,
                    amount=D("10.00"),
                    paid_at=claim.submitted_at,
                ),
            ]
        )


def test_R40_every_transition_is_logged_with_its_actor(request_refund, rita):
    claim = request_refund(kind="refund_only").claim
    decisions.claim_approve(claim_id=claim.pk, actor=rita, note="ok")

    log = [(e.state, e.by, e.description) for e in timeline(claim)]
    assert log[0][:2] == ("submitted", None) and "R30" in log[0][2]
    assert log[1] == ("approved", rita, "ok")
    assert log[2][1] is None and "R35" in log[2][2]


def test_R32_merchants_are_emailed_after_commit(
    request_refund, rita, mailoutbox, django_capture_on_commit_callbacks
):
    claim = request_refund(kind="refund_only").claim
    with django_capture_on_commit_callbacks(execute=True):
        decisions.claim_approve(claim_id=claim.pk, actor=rita)

    (message,) = mailoutbox
    assert message.to == ["alice@shop-a.cn"]
    assert "R1" in message.subject


def test_R43_a_late_reported_step_is_dated_when_it_happened(client, request_refund, rita):
    requested = ev.T0 + dt.timedelta(days=5)
    claim = request_refund(kind="return_and_refund", at=requested).claim
    decisions.claim_approve(claim_id=claim.pk, actor=rita)
    shipped = ev.T0 + dt.timedelta(days=6)
    ev.send(client, ev.return_shipped("R1", at=shipped))

    stamps = {e.state: e.timestamp for e in timeline(claim)}
    assert stamps["submitted"] == requested
    assert stamps["return_shipped"] == shipped
    assert abs(stamps["awaiting_return"] - claim.submitted_at) > dt.timedelta(days=30)  # now
