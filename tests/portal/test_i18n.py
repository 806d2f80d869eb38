"""R3: Simplified Chinese by default, English on request, a switch on every page."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_R3_pages_are_in_simplified_chinese_by_default(client):
    response = client.get(reverse("login"))

    assert response.headers["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()
    assert "登录" in response.content.decode()


def test_R3_the_language_switch_changes_the_language(client):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("login")}, follow=True
    )

    assert response.headers["Content-Language"] == "en"
    assert "Sign in" in response.content.decode()


def test_R3_every_merchant_page_has_the_language_switch(client, alice):
    client.force_login(alice)
    response = client.get(reverse("enrollment:overview"))
    assert 'id="language-select"' in response.content.decode()
