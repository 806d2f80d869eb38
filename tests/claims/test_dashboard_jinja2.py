"""The merchant dashboard renders with Jinja2 (issue 10) and shows what the Django template
showed: the same page, text, links, charts and numbers, in both languages, escaped (R3)."""

import html
import re

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from tests.claims.test_merchant_pages import make_orders

pytestmark = pytest.mark.django_db


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


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_jinja2_dashboard_is_the_django_templates_page(merchant, return_on_its_way, language):
    merchant.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = merchant.get(reverse("claims:dashboard"))
    assert response.status_code == 200
    context = {key: response.context[key] for key in ("board", "now")}
    django_page = render_to_string(
        "claims/dashboard.html", context, request=response.wsgi_request, using="django"
    )

    body = response.content.decode()
    assert ("待您处理" if language == "zh-hans" else "Needs your action") in body
    assert body.count('<svg class="chart"') == 3 and "1.50%" in body
    assert _normal(body) == _normal(django_page)


def test_the_jinja2_dashboard_escapes_what_it_shows(merchant, client, shop):
    shop.name = '<script>alert("x")</script>'
    shop.save()

    body = merchant.get(reverse("claims:dashboard")).content.decode()

    assert "<script>alert" not in body
    assert "&lt;script&gt;alert" in body
