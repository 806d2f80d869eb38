"""R39: the system approves claims from high-trust buyers by insurer-set thresholds."""

from decimal import Decimal as D

import pytest

from claims.models import BuyerFeedback, Claim, ClaimSettings
from portal.audit import timeline
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db


@pytest.fixture
def trusted(send_order_story):
    send_order_story("O1", buyer="vip", tier=5)


def test_R39_a_high_trust_buyers_small_claim_is_approved_by_the_system(client, trusted):
    ev.send(client, ev.refund_requested("R1", "O1", amount="99.00"))

    claim = Claim.objects.get()
    assert claim.state == "paid"
    assert claim.decided_by_system and claim.fast_tracked
    assert "R39" in claim.decision_rule
    approval = timeline(claim)[1]
    assert approval.by is None and approval.description.startswith("system: R39")
    assert ev.get(client, "/api/v1/refunds/R1").json()["claim"]["decided_by"] == "system"


def test_R39_above_the_amount_threshold_a_reviewer_decides(client, trusted):
    settings = ClaimSettings.current()
    settings.fast_track_max_amount = D("50.00")
    settings.save()

    ev.send(client, ev.refund_requested("R1", "O1", amount="99.00"))

    assert Claim.objects.get().state == "submitted"


def test_R39_a_buyer_with_upheld_feedback_is_not_fast_tracked(client, trusted, shop, rita, alice):
    from claims.models import Policy
    from claims.services import feedback

    report = feedback.feedback_create(
        shop=shop,
        actor=alice,
        category="repeated_requests",
        description="三次退款",
        policy=Policy.objects.get(),
    )
    feedback.feedback_uphold(feedback_id=report.pk, actor=rita)
    assert BuyerFeedback.objects.get().state == "upheld"

    ev.send(client, ev.refund_requested("R1", "O1", amount="99.00"))

    assert Claim.objects.get().state == "submitted"


def test_R39_a_low_tier_buyer_is_not_fast_tracked(send_order_story):
    send_order_story("O1", buyer="new", tier=2, refund_id="R1", amount="10.00")
    assert Claim.objects.get().state == "submitted"


def test_R39_fast_track_can_be_switched_off(client, trusted):
    settings = ClaimSettings.current()
    settings.fast_track_enabled = False
    settings.save()

    ev.send(client, ev.refund_requested("R1", "O1", amount="99.00"))

    assert Claim.objects.get().state == "submitted"


def test_R39_thresholds_never_appear_on_merchant_pages(client, trusted, alice):
    ev.send(client, ev.refund_requested("R1", "O1", amount="99.00"))
    claim = Claim.objects.get()
    settings = ClaimSettings.current()
    client.force_login(alice)

    from django.urls import reverse

    body = client.get(reverse("claims:claim", args=[claim.pk])).content.decode()

    assert "R39" not in body
    assert str(settings.fast_track_max_amount) not in body
    assert "credit tier" not in body
