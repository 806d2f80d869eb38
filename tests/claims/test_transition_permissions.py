"""R40, R41, R62, R38: who may fire a transition is checked where the transition runs (the
services, through portal.fsm), not only by the admin's buttons; and no state is set by hand:
eligibility revocation, refund withdrawal and breach settlement are audited transitions."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from claims.models import Buyer, Claim, RefundRequest, ServiceBreach
from claims.services import decisions, feedback
from portal import fsm
from portal.audit import timeline
from tests.factories import MerchantFactory
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(client, request_refund, rita):
    claim = request_refund(kind="return_and_refund").claim
    decisions.claim_approve(claim_id=claim.pk, actor=rita)
    ev.send(client, ev.return_shipped("R1"))
    return Claim.objects.get(pk=claim.pk)


@pytest.fixture
def other_merchant(db):
    return MerchantFactory(user__username="mallory@shop-m.cn", shop__name="丙店").user


def forbidden(call) -> ValidationError:
    with pytest.raises(ValidationError) as error:
        call()
    assert error.value.code == "forbidden", error.value
    return error.value


def test_R41_a_staff_user_without_the_reviewers_permission_cannot_decide_a_claim(
    request_refund, fiona
):
    claim = request_refund().claim

    forbidden(lambda: decisions.claim_approve(claim_id=claim.pk, actor=fiona))
    forbidden(lambda: decisions.claim_reject(claim_id=claim.pk, actor=fiona, reason="不行"))

    assert Claim.objects.get(pk=claim.pk).state == "submitted"


def test_R41_R100_another_shops_merchant_cannot_confirm_or_refuse_receipt(shipped, other_merchant):
    forbidden(lambda: decisions.claim_confirm_receipt(claim_id=shipped.pk, actor=other_merchant))
    forbidden(
        lambda: decisions.claim_refuse_receipt(
            claim_id=shipped.pk,
            actor=other_merchant,
            ground="empty_parcel",
            note="",
            evidence=[("p.png", ev.png_bytes())],
        )
    )

    assert Claim.objects.get(pk=shipped.pk).state == "return_shipped"


def test_R41_a_reviewer_cannot_confirm_receipt_on_the_merchants_behalf(shipped, rita):
    forbidden(lambda: decisions.claim_confirm_receipt(claim_id=shipped.pk, actor=rita))
    assert Claim.objects.get(pk=shipped.pk).state == "return_shipped"


def test_R41_the_shops_own_merchant_confirms_receipt(shipped, alice):
    decisions.claim_confirm_receipt(claim_id=shipped.pk, actor=alice)
    assert Claim.objects.get(pk=shipped.pk).state == "paid"


@pytest.mark.parametrize("name", ["close_timeout", "cancel", "ship_return"])
def test_R41_no_person_may_fire_the_systems_transitions(request_refund, rita, name):
    claim = request_refund(kind="return_and_refund").claim
    decisions.claim_approve(claim_id=claim.pk, actor=rita)

    with transaction.atomic():
        locked = decisions.locked(claim.pk)
        forbidden(
            lambda: fsm.fire(
                locked,
                name,
                by=rita,
                refused=lambda: ValidationError("refused"),
                at=ev.T0,
                **(
                    {"carrier": "SF", "tracking_number": "1", "receipt_due_at": ev.T0}
                    if name == "ship_return"
                    else {}
                ),
            )
        )
    assert Claim.objects.get(pk=claim.pk).state == "awaiting_return"


def test_R40_a_transition_on_a_row_nobody_locked_is_a_programming_error(request_refund, rita):
    claim = Claim.objects.get(pk=request_refund().claim.pk)  # read, not locked
    with transaction.atomic(), pytest.raises(RuntimeError, match="lock the row"):
        fsm.fire(claim, "reject", by=rita, refused=ValidationError, at=ev.T0, description="x")
    assert Claim.objects.get(pk=claim.pk).state == "submitted"


def test_R40_R62_revoking_a_buyers_eligibility_is_an_audited_transition(request_refund, rita):
    buyer = request_refund().buyer

    feedback.buyer_revoke_eligibility(buyer_id=buyer.pk, actor=rita, reason="恶意退款")

    buyer = Buyer.objects.get(pk=buyer.pk)
    assert not buyer.eligible and buyer.revoked_by == rita
    (entry,) = timeline(buyer)
    assert (entry.source_state, entry.state, entry.by, entry.description) == (
        "eligible",
        "revoked",
        rita,
        "恶意退款",
    )


def test_R41_R101_finance_cannot_revoke_a_buyers_eligibility(request_refund, fiona):
    buyer = request_refund().buyer
    forbidden(lambda: feedback.buyer_revoke_eligibility(buyer_id=buyer.pk, actor=fiona, reason="x"))
    assert Buyer.objects.get(pk=buyer.pk).eligible


def test_R40_a_buyers_withdrawal_is_an_audited_transition_of_the_refund(client, request_refund):
    refund = request_refund()
    withdrawn = ev.T0 + dt.timedelta(days=6)

    (result,) = ev.send(client, ev.refund_cancelled("R1", at=withdrawn))

    assert result["status"] == "applied"
    refund = RefundRequest.objects.get(pk=refund.pk)
    assert (refund.state, refund.cancelled_at) == ("cancelled", withdrawn)
    assert [(e.state, e.timestamp) for e in timeline(refund)] == [("cancelled", withdrawn)]
    (again,) = ev.send(client, ev.refund_cancelled("R1", at=withdrawn))
    assert again["status"] == "rejected" and "already cancelled" in again["error"]


def test_R38_R40_settling_a_breach_is_an_audited_transition_by_the_reviewer(client, shipped, rita):
    from claims.services.sweep import sweep_deadlines

    sweep_deadlines(now=shipped.receipt_due_at + dt.timedelta(minutes=1))
    breach = ServiceBreach.objects.get()

    decisions.breach_settle(breach_id=breach.pk, actor=rita)
    decisions.breach_settle(breach_id=breach.pk, actor=rita)  # twice: nothing more

    breach = ServiceBreach.objects.get()
    assert breach.settled and breach.settled_at is not None
    assert [(e.state, e.by) for e in timeline(breach)] == [("settled", rita)]


def test_R41_R101_finance_cannot_settle_a_breach(shipped, fiona):
    from claims.services.sweep import sweep_deadlines

    sweep_deadlines(now=shipped.receipt_due_at + dt.timedelta(minutes=1))
    breach = ServiceBreach.objects.get()

    forbidden(lambda: decisions.breach_settle(breach_id=breach.pk, actor=fiona))
    assert not ServiceBreach.objects.get().settled
