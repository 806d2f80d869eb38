"""The admin speaks Chinese to zh-hans staff, in Asia/Shanghai time (issue 11, R2, R3): a walk
over every registered model's changelist and change form, on the demo's data."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.portal.admin_walk import admin_pages, headings, latin_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, capsys):
    call_command("seed_demo")
    capsys.readouterr()
    user = get_user_model().objects.create_superuser("walker", password="x" * 12)
    client.force_login(user)
    return client


def test_no_latin_only_heading_on_any_admin_page_in_zh_hans(superuser_client):
    english = []
    pages = list(admin_pages())
    for url in pages:
        response = superuser_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if response.status_code != 200:
            english.append((url, "status", response.status_code))
            continue
        english += [
            (url, tag, text)
            for tag, text in headings(response.content.decode())
            if latin_only(text)
        ]
    assert len(pages) > 30
    assert english == [], "\n".join(map(str, english))


def test_no_utc_offset_on_any_admin_page(superuser_client):
    for url in admin_pages():
        for language in ("zh-hans", "en"):
            body = superuser_client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
            assert "+00:00" not in body, url
