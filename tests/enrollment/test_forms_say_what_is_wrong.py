"""Issue 11, point 1 on the enrollment, invoice and sign-in forms (R11, R13, R70): each
error beside its field in the merchant's language, what was typed kept, and the URL in the
address bar answers a GET (a reload, the language switch) instead of a bare 405."""

import html

import pytest
from django.conf import settings
from django.urls import reverse

from enrollment.models import Enrollment, EnrollmentState
from tests.conftest import APPLICATION

pytestmark = pytest.mark.django_db

PHONE = {
    "zh-hans": "请输入中国大陆手机号（如13800138000）或固定电话（如0571-88888888）。",
    "en": "Enter a mainland mobile number (e.g. 13800138000) or a landline (e.g. 0571-88888888).",
}
TERMS = {"zh-hans": "请阅读并同意服务条款。", "en": "Please read and accept the service terms."}
REASON = {"zh-hans": "请填写原因。", "en": "Please give a reason."}


def _signed_in(client, user, language):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _error_of(body: str, field: str) -> str:
    marker = f'id="id_{field}_error"'
    assert marker in body, field
    return html.unescape(body.split(marker, 1)[1].split("</p>", 1)[0])


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_R11_a_bad_phone_and_unticked_terms_are_said_beside_them_and_the_rest_is_kept(
    client, alice, language
):
    data = {**APPLICATION, "return_phone": "12345"}
    del data["accept_terms"]
    client = _signed_in(client, alice, language)

    response = client.post(reverse("enrollment:apply"), data)

    assert response.status_code == 400
    body = response.content.decode()
    assert PHONE[language] in _error_of(body, "return_phone")
    assert TERMS[language] in _error_of(body, "accept_terms")
    assert 'value="王经理"' in body and "文一西路 969 号</textarea>" in body
    assert 'value="12345"' in body  # the wrong value too, to correct it
    assert not Enrollment.objects.exists()
    # the language switch sends the browser to this URL with a GET: the overview, no 405
    switched = client.get(reverse("enrollment:apply"), follow=True)
    assert switched.status_code == 200
    assert "application_form" in switched.context


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_R13_an_exit_without_reason_is_said_beside_the_reason(client, active_alice, language):
    client = _signed_in(client, active_alice, language)

    response = client.post(reverse("enrollment:request_exit"), {"reason": "   "})

    assert response.status_code == 400
    assert REASON[language] in _error_of(response.content.decode(), "reason")
    assert Enrollment.objects.get().state == EnrollmentState.ACTIVE
    assert client.get(reverse("enrollment:request_exit")).url == reverse("enrollment:overview")


@pytest.mark.parametrize(
    ("language", "wrong"),
    [("zh-hans", "登录账号或密码错误"), ("en", "The login or password is wrong.")],
)
def test_a_wrong_password_is_said_in_the_language_and_the_login_is_kept(
    client, alice, language, wrong
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.post(reverse("login"), {"username": "alice@shop-a.cn", "password": "x"})

    body = html.unescape(response.content.decode())
    assert wrong in body.split('class="form-errors"', 1)[1].split("</div>", 1)[0]
    assert 'value="alice@shop-a.cn"' in body


@pytest.mark.parametrize(
    ("language", "message"),
    [("zh-hans", "统一社会信用代码应为18位，当前输入为5位。"), ("en", "this one has 5")],
)
def test_R70_a_short_taxpayer_id_is_said_beside_it_and_the_title_is_kept(
    client, alice, shop, language, message
):
    client = _signed_in(client, alice, language)
    data = {
        "first_month": "2026-05",
        "last_month": "2026-06",
        "invoice_type": "electronic_general",
        "title": "杭州甲电器有限公司",
        "taxpayer_id": "12345",
        "email": "finance@shop-a.cn",
        "preview": "1",
    }

    response = client.post(reverse("invoicing:new"), data)

    assert response.status_code == 400
    body = response.content.decode()
    assert message in _error_of(body, "taxpayer_id")
    assert 'value="杭州甲电器有限公司"' in body
