"""Issue 11, points 1-3 in a real browser, at a laptop's 1366 px and a phone's 390 px, in
zh-hans and en: a list filter with an impossible date says so beside the field while the
valid filter still lists (with the total); the buyer report with a text file named .jpg
says why beside the photos, keeps the description, and the language switch after it finds
the form again, as does the enrollment form after an error (no POST-only URL left behind);
an unknown address is the branded 404 page.

Few page loads each: the data comes through the event API and the services before the
browser starts (one live_server for the module's tests)."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from claims.models import Claim, Policy
from claims.services import decisions
from tests.browser.test_enrollment_flow import sign_in
from tests.conftest import PASSWORD
from tests.factories import make_orders

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"laptop": {"width": 1366, "height": 800}, "phone": {"width": 390, "height": 844}}
SAY = {
    "zh-hans": {
        "date": "输入一个有效的日期。",
        "total": "共 1 条",
        "not_image": "不是 JPEG、PNG 或 WebP 图片",
        "phone": "请输入中国大陆手机号",
        "404": "页面不存在",
        "other": "en",
        "other_report": "Report a buyer problem",
        "other_apply": "Apply",
    },
    "en": {
        "date": "Enter a valid date.",
        "total": "1 in total",
        "not_image": "is not a JPEG, PNG or WebP image",
        "phone": "Enter a mainland mobile number",
        "404": "Page not found",
        "other": "zh-hans",
        "other_report": "反馈买家问题",
        "other_apply": "申请",
    },
}


@pytest.fixture
def paid_policy(client, shop, rita):
    """Three orders of alice's shop; RO0 (refund only) approved: its policy 理赔成功."""
    make_orders(client, shop, 3)
    decisions.claim_approve(
        claim_id=Claim.objects.get(refund__platform_refund_id="RO0").pk, actor=rita
    )
    return Policy.objects.get(order__platform_order_id="O0")


def _browser_page(new_context, base: str, width: str, language: str):
    """A fresh browser (its own cookies) of that width, reading the portal in `language`
    (the conftest's context speaks zh-CN; the language cookie says what the person chose)."""
    context = new_context(viewport=WIDTHS[width])
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}])
    context.set_default_timeout(10_000)
    return context.new_page()


def _switch_language(page, code: str) -> None:
    page.locator("#language-select").select_option(code)
    page.locator("#language-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", code)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("width", ["laptop", "phone"])
def test_issue11_errors_beside_fields_valid_filters_kept_and_no_dead_ends(
    live_server, new_context, paid_policy, bob, width, language
):
    say = SAY[language]
    page = _browser_page(new_context, live_server.url, width, language)
    page.goto(live_server.url + "/accounts/login/")
    sign_in(page, "alice@shop-a.cn", PASSWORD)

    # point 2: the impossible date is said beside its field, the status still filters
    page.goto(live_server.url + "/policies/?status=claim_paid&issued_from=2026-11-31")
    expect(page.locator("#id_issued_from_error")).to_have_text(say["date"])
    expect(page.locator("table tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("list-total")).to_have_text(say["total"])
    expect(page.locator("#id_status")).to_have_value("claim_paid")

    # point 1: a text file named .jpg, named beside the photos; the description kept
    page.goto(f"{live_server.url}/policies/{paid_policy.pk}/")
    page.locator("#id_category_0").check()
    page.locator("#id_description").fill("一周三次退款")
    page.locator("#id_photos").set_input_files(
        [{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": b"just some text"}]
    )
    page.get_by_test_id("report-buyer").click()
    expect(page.locator("#id_photos_error")).to_contain_text("photo.jpg")
    expect(page.locator("#id_photos_error")).to_contain_text(say["not_image"])
    expect(page.locator("#id_description")).to_have_value("一周三次退款")
    expect(page.locator("main")).not_to_contain_text("Error")
    # point 3: the address bar holds a URL that answers GET: the switch shows the form again
    expect(page).to_have_url(re.compile(rf"/policies/{paid_policy.pk}/report-buyer/$"))
    _switch_language(page, say["other"])
    expect(page.locator("#report-heading")).to_have_text(say["other_report"])

    # point 3: an unknown address is the branded page, in the person's language
    _switch_language(page, language)
    page.goto(live_server.url + "/no-such-page/")
    expect(page.get_by_test_id("error-page")).to_be_visible()
    expect(page.locator("h1")).to_have_text(say["404"])

    # points 1 and 3: bob's application with a bad phone, then the language switch
    other = _browser_page(new_context, live_server.url, width, language)
    other.goto(live_server.url + "/accounts/login/")
    sign_in(other, "bob@shop-b.cn", PASSWORD)
    other.goto(live_server.url + "/enrollment/")
    other.locator("#id_alipay_account").fill("13800138000")
    other.locator("#id_return_contact").fill("李经理")
    other.locator("#id_return_phone").fill("12345")
    other.locator("#id_return_address").fill("上海市浦东新区 1 号")
    other.locator("#id_accept_terms").check()
    other.locator("form[action$='/enrollment/apply/'] button[type=submit]").click()
    expect(other.locator("#id_return_phone_error")).to_contain_text(say["phone"])
    expect(other.locator("#id_return_address")).to_have_value("上海市浦东新区 1 号")
    _switch_language(other, say["other"])
    expect(other).to_have_url(re.compile(r"/enrollment/$"))
    expect(other.locator("form[action$='/enrollment/apply/']")).to_be_visible()
