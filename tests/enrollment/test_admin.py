"""The underwriters' workbench in the admin (R10-R13, R52) and who may use it (R101)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Enrollment, EnrollmentState, Invitation, PremiumRate, Shop
from tests.conftest import apply

pytestmark = pytest.mark.django_db


def transition_url(enrollment, name):
    return reverse("admin:enrollment_enrollment_transition", args=[enrollment.pk, name])


def change_url(enrollment):
    return reverse("admin:enrollment_enrollment_change", args=[enrollment.pk])


def test_R10_an_underwriter_invites_a_shop_from_the_admin(
    client, uma, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(uma)
    expires = timezone.localtime() + dt.timedelta(days=14)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:enrollment_invitation_add"),
            {
                "platform_shop_id": "TM-400001",
                "shop_name": "admin 邀请店",
                "industry": "home_appliances",
                "contact_email": "boss@tm400001.cn",
                "expires_at_0": expires.strftime("%Y-%m-%d"),
                "expires_at_1": expires.strftime("%H:%M:%S"),
                "note": "",
            },
        )

    assert response.status_code == 302, response.context["adminform"].form.errors
    invitation = Invitation.objects.get()
    assert invitation.shop.platform_shop_id == "TM-400001"
    assert invitation.invited_by == uma
    assert len(mailoutbox) == 1


def test_R10_an_invitation_with_a_past_expiry_is_refused_in_the_admin(client, uma):
    client.force_login(uma)
    past = timezone.localtime() - dt.timedelta(days=1)
    response = client.post(
        reverse("admin:enrollment_invitation_add"),
        {
            "platform_shop_id": "TM-400002",
            "shop_name": "x",
            "industry": "home_appliances",
            "contact_email": "x@x.cn",
            "expires_at_0": past.strftime("%Y-%m-%d"),
            "expires_at_1": past.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Shop.objects.filter(platform_shop_id="TM-400002").exists()


def test_R12_the_approve_button_shows_for_a_pending_application_and_works(client, uma, alice):
    enrollment = apply(alice)
    client.force_login(uma)

    page = client.get(change_url(enrollment))
    assert [t.name for t in page.context["admin_transitions"]] == ["approve", "reject"]

    confirm = client.get(transition_url(enrollment, "approve"))
    assert confirm.status_code == 200
    assert Enrollment.objects.get().state == EnrollmentState.PENDING  # GET changes nothing

    response = client.post(transition_url(enrollment, "approve"), {"note": "ok"})
    assert response.status_code == 302
    assert Enrollment.objects.get().state == EnrollmentState.ACTIVE


def test_R11_rejecting_in_the_admin_needs_a_reason(client, uma, alice):
    enrollment = apply(alice)
    client.force_login(uma)

    response = client.post(transition_url(enrollment, "reject"), {"reason": ""})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Enrollment.objects.get().state == EnrollmentState.PENDING

    client.post(transition_url(enrollment, "reject"), {"reason": "资料不全"})
    assert Enrollment.objects.get().rejection_reason == "资料不全"


def test_R40_a_transition_not_allowed_from_the_state_gets_a_clear_message(
    client, uma, active_alice
):
    enrollment = Enrollment.objects.get()
    client.force_login(uma)

    response = client.post(transition_url(enrollment, "approve"), {"note": ""}, follow=True)

    messages = [str(m) for m in response.context["messages"]]
    assert any("not possible" in m or "不可" in m or "无法" in m for m in messages), messages
    assert Enrollment.objects.get().state == EnrollmentState.ACTIVE


def test_R13_an_underwriter_carries_out_an_exit(client, uma, active_alice):
    enrollment = Enrollment.objects.get()
    client.force_login(uma)

    client.post(transition_url(enrollment, "exit"), {"note": "专员确认"})

    assert Enrollment.objects.get().state == EnrollmentState.EXITED


def test_R101_a_claim_reviewer_cannot_decide_enrollments(client, rita, alice):
    enrollment = apply(alice)
    client.force_login(rita)

    assert client.get(change_url(enrollment)).status_code == 403
    assert client.post(transition_url(enrollment, "approve"), {}).status_code == 403
    assert Enrollment.objects.get().state == EnrollmentState.PENDING


def test_R52_an_underwriter_overrides_a_rate_in_the_admin(client, uma, active_alice):
    shop = active_alice.merchant.shop
    client.force_login(uma)

    response = client.post(
        reverse("admin:enrollment_premiumrate_add"),
        {"shop": shop.pk, "rate": "0.0125", "reason": "人工复核", "effective_from": ""},
    )

    assert response.status_code == 302
    latest = PremiumRate.objects.filter(shop=shop).first()
    assert (latest.rate, latest.source, latest.created_by) == (D("0.0125"), "manual", uma)


@pytest.mark.parametrize("bad", ["-0.01", "7", "abc", "0.0001"])
def test_R52_an_absurd_override_in_the_admin_shows_an_error_and_changes_nothing(
    client, uma, active_alice, bad
):
    shop = active_alice.merchant.shop
    client.force_login(uma)

    response = client.post(
        reverse("admin:enrollment_premiumrate_add"),
        {"shop": shop.pk, "rate": bad, "reason": "typo", "effective_from": ""},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert PremiumRate.objects.filter(shop=shop).count() == 1


def test_R50_rate_history_cannot_be_edited_or_deleted(client, uma, active_alice):
    rate = PremiumRate.objects.get()
    client.force_login(uma)

    url = reverse("admin:enrollment_premiumrate_change", args=[rate.pk])
    client.post(url, {"rate": "0.0400", "reason": "edit"})
    assert PremiumRate.objects.get().rate == D("0.0150")
    delete = reverse("admin:enrollment_premiumrate_delete", args=[rate.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
