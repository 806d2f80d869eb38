"""The merchant dashboard renders with Jinja2 (issue 10) and shows what the Django template
showed: the same page, text, links, charts and numbers, in both languages, escaped (R3)."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.claims.same_page import SCRIPT, assert_escaped, django_templates_page, normal

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_jinja2_dashboard_is_the_django_templates_page(
    merchant, one_of_four_returned, language
):
    merchant.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = merchant.get(reverse("claims:dashboard"))
    assert response.status_code == 200
    django_page = django_templates_page(response, "claims/dashboard.html", ("board", "now"))

    body = response.content.decode()
    assert ("待您处理" if language == "zh-hans" else "Needs your action") in body
    assert body.count('<svg class="chart"') == 3 and "1.50%" in body
    assert normal(body) == normal(django_page)


def test_the_jinja2_dashboard_escapes_what_it_shows(merchant, client, shop):
    shop.name = SCRIPT
    shop.save()

    body = merchant.get(reverse("claims:dashboard")).content.decode()

    assert_escaped(body)
