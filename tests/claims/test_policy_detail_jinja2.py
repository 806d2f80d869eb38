"""The merchant's policy detail renders with Jinja2 (issue 10) and shows what the Django
template showed: the order, premium and rate, coverage and time left, sub-orders, claims
and the report form, in both languages, escaped (R3, R24)."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from claims.forms import FeedbackForm
from claims.models import Policy
from tests.claims.same_page import SCRIPT, assert_escaped, django_templates_page, normal
from tests.factories import make_orders

pytestmark = pytest.mark.django_db

_CONTEXT = ("policy", "status", "lines", "claims", "time_left", "feedback_form")


def _both(merchant, policy):
    response = merchant.get(reverse("claims:policy", args=[policy.pk]))
    assert response.status_code == 200
    # the Django page with Django's form renderer
    django_page = django_templates_page(
        response, "claims/policy_detail.html", _CONTEXT, feedback_form=FeedbackForm()
    )
    return response.content.decode(), django_page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_jinja2_policy_detail_is_the_django_templates_page(
    merchant, one_of_four_returned, language
):
    policy = one_of_four_returned.policy
    end = timezone.now() + dt.timedelta(hours=100)
    Policy.objects.filter(pk=policy.pk).update(
        coverage_start=end - dt.timedelta(hours=720), coverage_end=end
    )
    merchant.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    body, django_page = _both(merchant, policy)

    assert ("剩余4\xa0日" if language == "zh-hans" else "4\xa0days") in body  # R24: time left
    assert one_of_four_returned.refund.platform_refund_id in body  # its claim
    assert body.count('name="csrfmiddlewaretoken"') == 3  # language, log out, report
    assert normal(body) == normal(django_page)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_jinja2_policy_detail_of_a_policy_awaiting_receipt(merchant, client, shop, language):
    make_orders(client, shop, 1, refunds=False)
    policy = Policy.objects.get()
    Policy.objects.filter(pk=policy.pk).update(coverage_start=None, coverage_end=None)
    merchant.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    body, django_page = _both(merchant, policy)

    assert ("待生效" if language == "zh-hans" else "Awaiting receipt") in body
    assert not policy.claims.exists()
    assert normal(body) == normal(django_page)


def test_the_jinja2_policy_detail_escapes_what_it_shows(merchant, one_of_four_returned):
    line = one_of_four_returned.refund.line
    type(line).objects.filter(pk=line.pk).update(title=SCRIPT)

    body, django_page = _both(merchant, one_of_four_returned.policy)

    assert_escaped(body)
    assert normal(body) == normal(django_page)
