"""The merchant's claim detail renders with Jinja2 (issue 10) and shows what the Django
template showed: the same request, amounts, deadlines, photos, timeline and report form, in
both languages, escaped (R3, R43, R102)."""

import pytest
from django.conf import settings
from django.urls import reverse

from claims.forms import FeedbackForm
from tests.claims.same_page import SCRIPT, assert_escaped, django_templates_page, normal

pytestmark = pytest.mark.django_db

_CONTEXT = (
    "claim",
    "timeline",
    "buyer_evidence",
    "refusal_evidence",
    "payout",
    "compensation",
    "can_act",
    "feedback_form",
)


def _both(merchant, claim):
    response = merchant.get(reverse("claims:claim", args=[claim.pk]))
    assert response.status_code == 200
    # the Django page with Django's form renderer
    django_page = django_templates_page(
        response, "claims/claim_detail.html", _CONTEXT, feedback_form=FeedbackForm()
    )
    return response.content.decode(), django_page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_jinja2_claim_detail_is_the_django_templates_page(
    merchant, one_of_four_returned, language
):
    merchant.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    body, django_page = _both(merchant, one_of_four_returned)

    assert ("确认收货" if language == "zh-hans" else "Confirm receipt") in body
    assert 'data-testid="action-box"' in body and 'class="timeline"' in body
    assert body.count('class="gallery"') == 1  # the buyer's photo, through the private view
    assert body.count('name="csrfmiddlewaretoken"') == 3  # language, log out, report
    assert normal(body) == normal(django_page)


def test_the_jinja2_claim_detail_escapes_what_it_shows(merchant, one_of_four_returned):
    refund = one_of_four_returned.refund
    type(refund).objects.filter(pk=refund.pk).update(description=SCRIPT)

    body, django_page = _both(merchant, one_of_four_returned)

    assert_escaped(body)
    assert normal(body) == normal(django_page)
