"""Issue 11, point 3: every error a person can meet is a branded page in their language,
in production mode (DEBUG=false, as under the test runner) too: 400, 403 (and a form whose
token expired), 404, 405 (with a body) and 500; the event API keeps its JSON."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.portal.error_urls")]

HEADINGS = {
    400: {"zh-hans": "请求有误", "en": "Bad request"},
    403: {"zh-hans": "无权访问", "en": "Access denied"},
    404: {"zh-hans": "页面不存在", "en": "Page not found"},
    405: {"zh-hans": "此地址不能直接打开", "en": "This address cannot be opened like this"},
    500: {"zh-hans": "我们这边出了问题", "en": "Something went wrong on our side"},
}
URLS = {
    400: "/test-errors/400/",
    403: "/test-errors/403/",
    404: "/no-such-page/",
    500: "/test-errors/500/",
}


def _client(language: str) -> Client:
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _assert_branded(response, status: int, language: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert f'<html lang="{language}">' in body
    assert 'data-testid="error-page"' in body
    assert f"<h1>{HEADINGS[status][language]}</h1>" in body
    assert "95188-9" in body  # the hotline
    assert "developer's words" not in body and "Traceback" not in body


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("status", [400, 403, 404, 500])
def test_each_error_is_a_branded_translated_page(status, language):
    assert settings.DEBUG is False
    _assert_branded(_client(language).get(URLS[status]), status, language)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_get_on_a_post_only_url_is_a_405_page_that_keeps_its_allow_header(alice, language):
    client = _client(language)
    client.force_login(alice)

    response = client.get(reverse("enrollment:withdraw_exit"))

    _assert_branded(response, 405, language)
    assert response["Allow"] == "POST"


def test_a_form_whose_token_expired_is_a_branded_403_that_says_to_reload():
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    response = client.post(reverse("login"), {"username": "a", "password": "b"})

    _assert_branded(response, 403, "zh-hans")
    assert "请刷新页面后重新提交" in response.content.decode()


def test_the_event_api_keeps_its_json_answers():
    client = _client("en")

    missing = client.get("/api/v1/no-such-endpoint")
    wrong_method = client.get("/api/v1/events")

    assert missing.status_code == 404 and missing.json() == {"error": "not found"}
    assert wrong_method.status_code == 405
    assert b"error-page" not in wrong_method.content
