"""The reviewers' claim queue renders with Jinja2 in the admin's frame (jinja2/admin/; issue
10) and is the page the Django templates render: Django's admin/base.html, the portal's
admin/base_site.html and templates/admin/claims/claim/queue.html, in both languages, with
filters, a chosen shop, no rows, and the messages of a bulk action (R3, R32)."""

import pytest
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from claims.admin_queue import TEMPLATE
from tests.claims.same_page import SCRIPT, assert_escaped, django_templates_page, normal
from tests.claims.test_workbench import QUEUE, queue  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

# What the view adds for the Jinja2 frame (Django's template tags compute it themselves).
FRAME = {"utc_offset", "time_zone", "docsroot"}
# Given by the backends and context processors of each rendering, not by the view.
RENDERING = {"request", "csrf_input", "csrf_token", "view", "perms", "messages", "user"}
RENDERING |= {"LANGUAGES", "LANGUAGE_CODE", "LANGUAGE_BIDI", "DEFAULT_MESSAGE_LEVELS"}


def assert_same_page(response):
    assert response.status_code == 200
    assert response.templates[0].name == TEMPLATE
    view_keys = [k for k in response.context if k not in FRAME | RENDERING]
    django_page = django_templates_page(response, TEMPLATE, view_keys)
    body = response.content.decode()
    assert normal(body) == normal(django_page)
    return body


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"overdue": "yes", "reason": "quality_issue"},
        {"state__exact": "paid", "p": "1"},
        {"q": "nothing-matches"},
    ],
)
def test_the_jinja2_queue_is_the_django_templates_page(client, queue, shop, language, params):  # noqa: F811
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    body = assert_same_page(client.get(QUEUE, params))
    assert ("理赔" if language == "zh-hans" else "Claims") in body
    assert 'id="admin-language"' in body and 'id="logout-form"' in body


def test_a_chosen_shop_and_a_bulk_actions_messages(client, queue, shop):  # noqa: F811
    assert_same_page(client.get(QUEUE, {"shop": shop.platform_shop_id}))
    data = {"action": "bulk_reject", ACTION_CHECKBOX_NAME: [queue["R1"].pk], "index": 0}
    done = client.post(QUEUE, {**data, "confirm": "1", "reason": "照片与商品不符"}, follow=True)
    body = assert_same_page(done)
    assert 'class="messagelist"' in body


def test_the_jinja2_queue_escapes_what_it_shows(client, queue, shop):  # noqa: F811
    shop.name = SCRIPT
    shop.save()

    body = assert_same_page(client.get(QUEUE, {"shop__id__exact": shop.pk}))

    assert_escaped(body)
