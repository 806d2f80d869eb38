"""Merchant enrollment pages: what each state shows, bad input, and shop scoping (R100)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from enrollment import services
from enrollment.models import Enrollment, EnrollmentState
from portal.clock import SHANGHAI
from tests.conftest import APPLICATION, apply, enroll
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("enrollment:overview")


@pytest.fixture
def client_of(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_every_merchant_page_requires_login(client):
    for url in [OVERVIEW, reverse("enrollment:period_detail", args=[1])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_staff_user_on_merchant_pages_is_told_it_is_not_a_merchant_account(client_of, uma):
    response = client_of(uma).get(OVERVIEW)
    assert response.status_code == 403
    assert b"/admin/" in response.content


def test_R10_an_invited_merchant_sees_the_invitation_and_the_form(client_of, alice):
    response = client_of(alice).get(OVERVIEW)

    assert response.status_code == 200
    assert "application_form" in response.context
    assert b'name="alipay_account"' in response.content


def test_R10_a_merchant_without_invitation_is_told_why_they_cannot_apply(client_of):
    from tests.factories import MerchantFactory

    merchant = MerchantFactory()
    response = client_of(merchant.user).get(OVERVIEW)

    assert "application_form" not in response.context
    assert str(services.NO_LIVE_INVITATION) == response.context["cannot_apply"]


def test_R11_applying_through_the_page(client_of, alice):
    response = client_of(alice).post(reverse("enrollment:apply"), APPLICATION, follow=True)

    assert response.redirect_chain[-1][0] == OVERVIEW
    assert Enrollment.objects.get().state == EnrollmentState.PENDING
    assert response.context["enrollment"].state == "pending"


def test_R11_a_bad_application_shows_the_errors_and_changes_nothing(client_of, alice):
    data = {**APPLICATION, "return_address": "", "alipay_account": "abc"}
    del data["accept_terms"]

    response = client_of(alice).post(reverse("enrollment:apply"), data)

    assert response.status_code == 400
    form = response.context["application_form"]
    assert set(form.errors) == {"return_address", "alipay_account", "accept_terms"}
    assert not Enrollment.objects.exists()


def test_R11_applying_twice_through_the_page_is_refused(client_of, alice):
    apply(alice)
    response = client_of(alice).post(reverse("enrollment:apply"), APPLICATION, follow=True)

    assert Enrollment.objects.count() == 1
    assert [str(m) for m in response.context["messages"]] == [str(services.ALREADY_OPEN)]


def test_R12_an_active_merchant_sees_the_effective_date_and_current_rate(client_of, active_alice):
    response = client_of(active_alice).get(OVERVIEW)

    assert response.context["rate"].rate is not None
    assert b'data-testid="current-rate">1.50%' in response.content
    assert "exit_form" in response.context


def test_R13_requesting_exit_through_the_page(client_of, active_alice):
    client = client_of(active_alice)
    response = client.post(reverse("enrollment:request_exit"), {"reason": "暂停经营"}, follow=True)

    assert Enrollment.objects.get().state == EnrollmentState.EXIT_REQUESTED
    assert response.status_code == 200

    client.post(reverse("enrollment:withdraw_exit"))
    assert Enrollment.objects.get().state == EnrollmentState.ACTIVE


def test_R13_an_exit_request_without_reason_shows_an_error(client_of, active_alice):
    response = client_of(active_alice).post(reverse("enrollment:request_exit"), {"reason": ""})

    assert response.status_code == 400
    assert "reason" in response.context["exit_form"].errors
    assert Enrollment.objects.get().state == EnrollmentState.ACTIVE


def test_R15_after_exit_the_page_shows_the_reentry_date(client_of, alice, uma):
    with time_machine.travel(dt.datetime(2026, 1, 10, 9, tzinfo=SHANGHAI), tick=False):
        enrollment = enroll(alice, uma)
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=SHANGHAI), tick=False):
        services.enrollment_exit(enrollment_id=enrollment.pk, actor=uma)
    with time_machine.travel(dt.datetime(2026, 5, 30, 9, tzinfo=SHANGHAI), tick=False):
        response = client_of(alice).get(OVERVIEW)

    assert response.context["last_exit"].reentry_date == dt.date(2026, 5, 31)
    assert "2026-05-31" in response.content.decode()
    assert "application_form" not in response.context
    assert "2026-05-31" in response.context["cannot_apply"]


def test_the_post_only_withdraw_url_rejects_get_with_a_page(client_of, alice):
    response = client_of(alice).get(reverse("enrollment:withdraw_exit"))

    assert response.status_code == 405
    assert 'data-testid="error-page"' in response.content.decode()


@pytest.mark.parametrize("name", ["enrollment:apply", "enrollment:request_exit"])
def test_issue11_the_form_urls_answer_get_with_the_overview(client_of, alice, name):
    """After an error the address bar holds these URLs: a reload or the language switch
    (a GET) finds the overview, not a 405."""
    response = client_of(alice).get(reverse(name))

    assert response.status_code == 302
    assert response.url == reverse("enrollment:overview")


def test_R100_another_shops_enrollment_is_a_404(client_of, alice, bob):
    bobs = apply(bob)
    client = client_of(alice)

    assert client.get(reverse("enrollment:period_detail", args=[bobs.pk])).status_code == 404
    assert client.get(reverse("enrollment:period_detail", args=[bobs.pk + 1000])).status_code == 404


def test_R40_R43_the_period_page_shows_the_timeline_with_actor_roles(client_of, active_alice):
    enrollment = Enrollment.objects.get()
    response = client_of(active_alice).get(
        reverse("enrollment:period_detail", args=[enrollment.pk])
    )

    assert response.status_code == 200
    assert [e.state for e in response.context["timeline"]] == ["pending", "active"]
    body = response.content.decode()
    assert "商家" in body or "Merchant" in body


def test_the_overview_runs_a_fixed_number_of_queries(
    client_of, active_alice, django_assert_max_num_queries
):
    client = client_of(active_alice)
    with django_assert_max_num_queries(14):
        client.get(OVERVIEW)


def test_login_sends_a_merchant_to_the_dashboard(client):
    user = UserFactory(username="carol@shop-c.cn")
    from tests.factories import MerchantFactory

    MerchantFactory(user=user)
    response = client.post(
        reverse("login"),
        {"username": "carol@shop-c.cn", "password": "correct horse battery staple"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("claims:dashboard")


def test_a_wrong_password_gets_a_clear_message(client):
    response = client.post(reverse("login"), {"username": "nobody", "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_a_merchant_may_type_the_login_e_mail_in_any_case(client):
    from tests.factories import MerchantFactory

    MerchantFactory(user=UserFactory(username="dora@shop-d.cn"))
    response = client.post(
        reverse("login"),
        {"username": "  Dora@Shop-D.CN", "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
