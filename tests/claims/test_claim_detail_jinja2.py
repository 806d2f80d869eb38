"""The merchant's claim detail renders with Jinja2 (issue 10) and shows what the Django
template showed: the same request, amounts, deadlines, photos, timeline and report form, in
both languages, escaped (R3, R43, R102)."""

import html
import re

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from claims.forms import FeedbackForm
from tests.claims.test_merchant_pages import make_orders

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


@pytest.fixture
def merchant(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def return_on_its_way(client, shop, rita):
    from claims.models import Claim
    from claims.services import decisions
    from tests.platform_api import events as ev

    make_orders(client, shop, 4)  # odd orders are returns
    claim = Claim.objects.get(refund__platform_refund_id="RO1")
    decisions.claim_approve(claim_id=claim.pk, actor=rita)
    ev.send(client, ev.return_shipped("RO1"))
    return claim


def _normal(page: str) -> str:
    """The page as a browser reads it: entities decoded, whitespace between tags dropped,
    the per-request CSRF tokens masked."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "csrf", page)
    page = html.unescape(page)
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", page)).strip()


def _both(merchant, claim):
    response = merchant.get(reverse("claims:claim", args=[claim.pk]))
    assert response.status_code == 200
    context = {key: response.context[key] for key in _CONTEXT}
    context["feedback_form"] = FeedbackForm()  # the Django page with Django's form renderer
    django_page = render_to_string(
        "claims/claim_detail.html", context, request=response.wsgi_request, using="django"
    )
    return response.content.decode(), django_page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_jinja2_claim_detail_is_the_django_templates_page(
    merchant, return_on_its_way, language
):
    merchant.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    body, django_page = _both(merchant, return_on_its_way)

    assert ("确认收货" if language == "zh-hans" else "Confirm receipt") in body
    assert 'data-testid="action-box"' in body and 'class="timeline"' in body
    assert body.count('class="gallery"') == 1  # the buyer's photo, through the private view
    assert body.count('name="csrfmiddlewaretoken"') == 3  # language, log out, report
    assert _normal(body) == _normal(django_page)


def test_the_jinja2_claim_detail_escapes_what_it_shows(merchant, return_on_its_way):
    refund = return_on_its_way.refund
    type(refund).objects.filter(pk=refund.pk).update(description='<script>alert("x")</script>')

    body, django_page = _both(merchant, return_on_its_way)

    assert "<script>alert" not in body
    assert "&lt;script&gt;alert" in body
    assert _normal(body) == _normal(django_page)
