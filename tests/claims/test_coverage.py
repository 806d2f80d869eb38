"""R30, R31, R44: which refund requests become warranty-card claims, and why others do not."""

import datetime as dt

import pytest

from claims.models import Claim, RefundRequest
from claims.services import feedback
from tests.claims.conftest import RECEIVED
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db


def test_R30_a_quality_refund_within_720_hours_of_receipt_becomes_a_claim(request_refund):
    refund = request_refund(at=RECEIVED + dt.timedelta(hours=1))

    assert refund.covered and refund.not_covered_reason == ""
    claim = refund.claim
    assert claim.state == "submitted"
    assert claim.review_due_at == RECEIVED + dt.timedelta(hours=25)  # R32: 24 h from submission


@pytest.mark.parametrize("reason", ["quality_issue", "not_as_described", "damaged_or_stained"])
def test_R30_the_three_covered_reasons(request_refund, reason):
    assert request_refund(reason=reason).covered


@pytest.mark.parametrize("reason", ["no_longer_needed", "wrong_size", "other"])
def test_R30_another_reason_is_never_covered(request_refund, reason):
    refund = request_refund(reason=reason)

    assert not refund.covered
    assert refund.not_covered_reason == "reason_not_covered"
    assert not Claim.objects.exists()


def test_R23_R30_the_window_end_is_inclusive(request_refund):
    assert request_refund("R1", at=RECEIVED + dt.timedelta(hours=720)).covered
    late = request_refund("R2", at=RECEIVED + dt.timedelta(hours=720, seconds=1))
    assert late.not_covered_reason == "outside_window"


def test_R30_a_request_before_receipt_stays_with_the_merchant(client, shop):
    ev.send(client, ev.order_placed("O2", shop.platform_shop_id), ev.order_shipped("O2"))
    ev.send(client, ev.refund_requested("R9", "O2"))

    assert RefundRequest.objects.get().not_covered_reason == "before_receipt"


def test_R30_an_uninsured_order_has_no_policy(client, bob):
    from tests.factories import ShopFactory, order_story

    other = ShopFactory()
    ev.send(client, *order_story("O3", other.platform_shop_id, refund_id="R3"))
    assert RefundRequest.objects.get().not_covered_reason == "no_policy"


def test_R62_a_revoked_buyers_later_requests_are_merchant_handled(request_refund, rita):
    from claims.models import Buyer

    buyer = Buyer.objects.get(platform_buyer_id="buyer-1")
    feedback.buyer_revoke_eligibility(buyer_id=buyer.pk, actor=rita, reason="恶意退款")

    refund = request_refund()

    assert refund.not_covered_reason == "buyer_ineligible"
    buyer.refresh_from_db()
    assert buyer.credit_impact


def test_R31_both_kinds_are_claims(request_refund):
    assert request_refund("R1", kind="refund_only").claim.kind == "refund_only"


def test_R44_every_request_is_recorded_covered_or_not(request_refund):
    request_refund("R1", reason="quality_issue")
    request_refund("R2", reason="other")

    assert list(RefundRequest.objects.order_by("id").values_list("covered", flat=True)) == [
        True,
        False,
    ]
