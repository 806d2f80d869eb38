"""The reviewers' workbench in the admin (R32-R34, R39, R61-R62, R101-R102)."""

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from claims.models import Buyer, BuyerFeedback, Claim, Evidence
from claims.services import decisions, feedback
from tests.factories import asked_at
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:claims_claim_changelist")


def change(claim):
    return reverse("admin:claims_claim_change", args=[claim.pk])


def transition(claim, name):
    return reverse("admin:claims_claim_transition", args=[claim.pk, name])


@pytest.fixture
def queue(client, send_order_story, rita):
    """Three orders with a claim each: C1 overdue, C2 due in the future, C3 paid."""
    now = timezone.now()
    for n, requested in [
        (1, now - dt.timedelta(hours=30)),
        (2, now - dt.timedelta(hours=2)),
        (3, now - dt.timedelta(hours=1)),
    ]:
        send_order_story(f"O{n}", buyer=f"b{n}", refund_id=f"R{n}", **asked_at(requested))
    claims = {c.refund.platform_refund_id: c for c in Claim.objects.select_related("refund")}
    decisions.claim_approve(claim_id=claims["R3"].pk, actor=rita)
    client.force_login(rita)
    return claims


def test_R32_the_queue_puts_overdue_reviews_first_and_marks_them(client, queue):
    response = client.get(QUEUE)

    assert response.status_code == 200
    order = [c.refund.platform_refund_id for c in response.context["cl"].result_list]
    assert order == ["R1", "R2", "R3"]
    body = response.content.decode()
    assert "⚠" in body


def test_R32_the_queue_filters_overdue_and_searches_by_ids(client, queue):
    overdue = client.get(QUEUE, {"overdue": "yes"})
    assert [c.refund.platform_refund_id for c in overdue.context["cl"].result_list] == ["R1"]
    for term in ["R2", "O2", "b2"]:
        found = client.get(QUEUE, {"q": term})
        assert [c.refund.platform_refund_id for c in found.context["cl"].result_list] == ["R2"]


def test_the_queue_runs_a_fixed_number_of_queries(client, queue, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        client.get(QUEUE)


def test_R61_the_claim_page_shows_evidence_amounts_history_and_only_allowed_buttons(client, queue):
    claim = queue["R1"]
    response = client.get(change(claim))

    assert response.status_code == 200
    body = response.content.decode()
    evidence = Evidence.objects.filter(refund=claim.refund).get()
    assert reverse("claims:evidence", args=[evidence.pk]) + "?size=thumb" in body
    assert "209.00" in body  # payable cap: 199.00 + 10.00 (R36)
    assert [t.name for t in response.context["admin_transitions"]] == ["approve", "reject"]
    paid = client.get(change(queue["R3"]))
    assert paid.context["admin_transitions"] == []


def test_R32_a_reviewer_approves_through_the_confirmation_page(client, queue):
    claim = queue["R1"]
    assert client.get(transition(claim, "approve")).status_code == 200
    assert Claim.objects.get(pk=claim.pk).state == "submitted"

    client.post(transition(claim, "approve"), {"note": "ok"})

    assert Claim.objects.get(pk=claim.pk).state == "paid"


def test_R32_rejecting_needs_a_reason(client, queue):
    claim = queue["R2"]
    response = client.post(transition(claim, "reject"), {"reason": ""})
    assert response.status_code == 200 and response.context["form"].errors
    client.post(transition(claim, "reject"), {"reason": "照片与商品不符"})
    assert Claim.objects.get(pk=claim.pk).rejection_reason == "照片与商品不符"


def test_R40_deciding_an_already_decided_claim_gives_a_clear_message(client, queue):
    response = client.post(transition(queue["R3"], "reject"), {"reason": "late"}, follow=True)

    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1 and "paid" in messages[0], messages  # the R41 name is quoted
    assert Claim.objects.get(pk=queue["R3"].pk).state == "paid"


def test_bulk_approve_asks_for_confirmation_then_approves(client, queue):
    ids = [queue["R1"].pk, queue["R2"].pk, queue["R3"].pk]
    data = {"action": "bulk_approve", ACTION_CHECKBOX_NAME: ids}

    confirm = client.post(QUEUE, data)
    assert confirm.status_code == 200
    assert [c.refund.platform_refund_id for c in confirm.context["claims"]] == ["R1", "R2"]
    assert confirm.context["skipped"] == 1
    assert Claim.objects.filter(state="submitted").count() == 2

    client.post(QUEUE, {**data, "confirm": "1", "note": ""})
    assert Claim.objects.filter(state="submitted").count() == 0


def test_bulk_reject_needs_a_reason(client, queue):
    data = {"action": "bulk_reject", ACTION_CHECKBOX_NAME: [queue["R1"].pk], "confirm": "1"}
    response = client.post(QUEUE, {**data, "reason": ""})
    assert response.status_code == 200 and response.context["form"].errors
    assert Claim.objects.get(pk=queue["R1"].pk).state == "submitted"


def test_R62_a_reviewer_revokes_a_buyers_eligibility(client, queue):
    buyer = Buyer.objects.get(platform_buyer_id="b1")
    url = reverse("admin:claims_buyer_transition", args=[buyer.pk, "revoke"])

    client.post(url, {"reason": "多次恶意退款", "credit_impact": "信用等级下调"})

    buyer.refresh_from_db()
    assert not buyer.eligible and buyer.credit_impact == "信用等级下调"
    assert (
        client.get(reverse("admin:claims_buyer_change", args=[buyer.pk])).context[
            "admin_transitions"
        ]
        == []
    )


def test_R60_the_feedback_queue_and_its_decisions(client, queue, alice, shop):
    report = feedback.feedback_create(
        shop=shop,
        actor=alice,
        category="profiteering",
        description="反复退款",
        claim=queue["R2"],
        evidence=[("chat.png", ev.png_bytes())],
    )
    assert client.get(reverse("admin:claims_buyerfeedback_changelist")).status_code == 200

    client.post(
        reverse("admin:claims_buyerfeedback_transition", args=[report.pk, "uphold"]),
        {"note": "属实"},
    )

    assert BuyerFeedback.objects.get().state == "upheld"


@pytest.mark.parametrize("persona", ["uma", "fiona"])
def test_R101_only_claim_reviewers_decide_claims(client, queue, request, persona):
    client.force_login(request.getfixturevalue(persona))
    claim = queue["R1"]

    assert client.post(transition(claim, "approve"), {"note": ""}).status_code == 403
    assert Claim.objects.get(pk=claim.pk).state == "submitted"


def test_R101_finance_sees_payouts_not_claims(client, queue, fiona):
    client.force_login(fiona)
    assert client.get(reverse("admin:claims_payout_changelist")).status_code == 200
    assert client.get(QUEUE).status_code == 403


def test_R39_R101_reviewers_edit_the_claim_settings(client, queue):
    from claims.models import ClaimSettings

    settings = ClaimSettings.current()
    url = reverse("admin:claims_claimsettings_change", args=[settings.pk])
    response = client.post(
        url,
        {
            "review_hours": 24,
            "return_days": 5,
            "receipt_days": 10,
            "fast_track_enabled": "on",
            "fast_track_min_credit_tier": 4,
            "fast_track_max_amount": "200.00",
            "fast_track_max_recent_claims": 2,
        },
    )
    assert response.status_code == 302
    assert ClaimSettings.current().return_days == 5
