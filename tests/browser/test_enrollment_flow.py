"""The enrollment journey end to end, in a real browser: invitation (R10), application (R11),
approval with the first rate (R12), exit (R13) and the 91-day wait before re-applying (R15).

Selectors are ids, names, URLs and data-testid attributes, never visible text: the portal
runs in zh-hans (the browser sends Accept-Language zh-CN) and its catalogue may be incomplete.
"""

import datetime as dt
import re
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Page, expect

from enrollment import services
from enrollment.models import Enrollment, IndustryPricing, Invitation, Merchant, PremiumRate
from portal.formats import format_date
from portal.groups import UNDERWRITER
from tests.conftest import PASSWORD  # the personas' password (uma, the underwriter)

# live_server runs on a transactional database (emptied after each test); the rows the data
# migrations seeded come back through conftest's `migration_data` fixture (requested by `uma`).
pytestmark = pytest.mark.django_db(transaction=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")

SHOP_ID = "TM-880001"
SHOP_NAME = "甲电器旗舰店"
CONTACT_EMAIL = "Owner@Jia-Dianqi.CN"  # as the underwriter types it
MERCHANT_LOGIN = "owner@jia-dianqi.cn"  # the login it becomes: the e-mail, lowercased
MERCHANT_PASSWORD = "Jia-dianqi 2026 warranty!"

APPLICATION = {
    "#id_alipay_account": "13800138000",
    "#id_alipay_name": "甲电器有限公司",
    "#id_return_contact": "王经理",
    "#id_return_phone": "0571-88888888",
    "#id_return_address": "浙江省杭州市余杭区文一西路 969 号",
}

SUCCESS_MESSAGE = ".messages .message-success"  # portal pages
ADMIN_SUCCESS_MESSAGE = ".messagelist .success"  # admin pages


# --- helpers ---


def sign_in(page: Page, username: str, password: str) -> None:
    """Fill and submit the login form the page shows."""
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def assert_styled(page: Page) -> None:
    """The portal's stylesheet is served (live_server serves static files) and applied."""
    href = page.locator('link[rel="stylesheet"]').first.get_attribute("href")
    response = page.request.get(urljoin(page.url, href))
    assert response.ok, f"{href}: HTTP {response.status}"
    assert "text/css" in response.headers["content-type"]
    assert page.evaluate("() => [...document.styleSheets].some(s => s.cssRules.length > 0)")
    expect(page.locator("header.topbar")).to_have_css("border-bottom-style", "solid")


def dates(day: dt.date) -> re.Pattern:
    """`day` as merchant pages print it, in either language: 2026-11-25 (issue 11)."""
    return re.compile(re.escape(format_date(day)))


def fill_application(page: Page) -> None:
    for selector, value in APPLICATION.items():
        page.locator(selector).fill(value)
    page.locator("#id_accept_terms").check()
    page.locator('form[action$="/enrollment/apply/"] button[type=submit]').click()


def expect_pending(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/enrollment/$"))
    expect(page.locator(SUCCESS_MESSAGE)).to_be_visible()
    expect(page.locator("section.status-pending")).to_be_visible()
    expect(page.locator('section.status-pending a[href*="/enrollment/periods/"]')).to_be_visible()
    expect(page.locator("#id_alipay_account")).to_have_count(0)


def run_admin_transition(page: Page, change_url: str, name: str) -> None:
    """On the enrollment's admin page, click the transition's link and confirm it."""
    page.goto(change_url)
    page.locator(f'a[href$="/transition/{name}/"]').first.click()
    expect(page).to_have_url(re.compile(rf"/transition/{name}/$"))
    page.locator("#content form input[type=submit]").click()
    expect(page).to_have_url(change_url)
    expect(page.locator(ADMIN_SUCCESS_MESSAGE)).to_be_visible()


# --- tests ---


def test_R10_R11_R12_R13_R15_underwriter_invites_merchant_applies_is_approved_exits_and_may_reapply_only_from_day_91(  # noqa: E501
    live_server, settings, new_page, mailoutbox, uma
):
    # The migration-seeded data this journey needs (conftest's `migration_data`).
    assert uma.groups.filter(name=UNDERWRITER).exists()
    assert (
        Group.objects.get(name=UNDERWRITER)
        .permissions.filter(codename="decide_enrollment")
        .exists()
    )
    assert IndustryPricing.objects.filter(industry="home_appliances").exists()
    settings.PORTAL_BASE_URL = live_server.url  # the invitation e-mail links to this server
    base = live_server.url

    # 1. R10: the underwriter signs in and invites the shop in the admin.
    staff = new_page()
    staff.goto(base + "/accounts/login/")
    sign_in(staff, "uma", PASSWORD)
    expect(staff).to_have_url(base + "/admin/")
    staff.goto(base + "/admin/enrollment/invitation/add/")
    expires = (timezone.now().astimezone(SHANGHAI) + dt.timedelta(days=30)).replace(
        hour=18, minute=0, second=0, microsecond=0
    )
    staff.locator("#id_platform_shop_id").fill(SHOP_ID)
    staff.locator("#id_shop_name").fill(SHOP_NAME)
    staff.locator("#id_contact_email").fill(CONTACT_EMAIL)
    staff.locator("#id_expires_at_0").fill(expires.strftime("%Y-%m-%d"))
    staff.locator("#id_expires_at_1").fill(expires.strftime("%H:%M:%S"))
    staff.locator("input[name=_save]").click()
    expect(staff).to_have_url(base + "/admin/enrollment/invitation/")
    expect(staff.locator(ADMIN_SUCCESS_MESSAGE)).to_be_visible()

    invitation = Invitation.objects.select_related("shop").get(shop__platform_shop_id=SHOP_ID)
    shop = invitation.shop
    assert (shop.name, invitation.contact_email) == (SHOP_NAME, MERCHANT_LOGIN)
    assert invitation.invited_by == uma
    assert invitation.expires_at == expires
    assert Merchant.objects.get(shop=shop).user.username == MERCHANT_LOGIN

    # 2. The e-mail's link lets the merchant set a password, which signs them in.
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [MERCHANT_LOGIN]
    found = re.search(re.escape(base) + r"/accounts/reset/\S+/", mailoutbox[0].body)
    assert found, mailoutbox[0].body
    merchant = new_page()  # a fresh browser context: the merchant's own cookies
    merchant.goto(found.group(0))
    expect(merchant).to_have_url(re.compile(r"/accounts/reset/[^/]+/set-password/$"))
    merchant.locator("#id_new_password1").fill(MERCHANT_PASSWORD)
    merchant.locator("#id_new_password2").fill(MERCHANT_PASSWORD)
    merchant.locator("main form button[type=submit]").click()
    # Setting the password signs the merchant in and lands on the enrollment page.
    expect(merchant).to_have_url(base + "/enrollment/")
    assert_styled(merchant)

    # 3. R11: the merchant applies and waits for the review.
    fill_application(merchant)
    expect_pending(merchant)
    enrollment = Enrollment.objects.get(shop=shop)
    assert (enrollment.state, enrollment.invitation_id) == ("pending", invitation.pk)
    assert enrollment.alipay_account == "13800138000"

    # 4. R12: the underwriter approves in the admin; the service runs at the base rate.
    staff.goto(base + "/admin/enrollment/enrollment/")
    staff.locator("#result_list tbody a").first.click()
    change_url = f"{base}/admin/enrollment/enrollment/{enrollment.pk}/change/"
    expect(staff).to_have_url(change_url)
    run_admin_transition(staff, change_url, "approve")
    expect(staff.locator('a[href$="/transition/approve/"]')).to_have_count(0)
    enrollment.refresh_from_db()
    assert enrollment.state == "active" and enrollment.effective_at is not None
    assert PremiumRate.objects.get(shop=shop).rate == IndustryPricing.objects.get().base_rate

    merchant.reload()
    expect(merchant.locator("[data-testid=current-rate]")).to_have_text("1.50%")
    expect(merchant.locator("#id_alipay_account")).to_have_count(0)

    # 5. R13: the merchant asks to exit; the underwriter carries the exit out.
    merchant.locator("textarea[name=reason]").fill("店铺调整经营方向")
    merchant.locator('form[action$="/enrollment/exit/"] button[type=submit]').click()
    expect(merchant.locator(SUCCESS_MESSAGE)).to_be_visible()
    expect(merchant.locator('form[action$="/enrollment/exit/withdraw/"]')).to_be_visible()
    enrollment.refresh_from_db()
    assert enrollment.state == "exit_requested"

    run_admin_transition(staff, change_url, "exit")
    enrollment.refresh_from_db()
    assert enrollment.state == "exited" and enrollment.exited_at is not None

    # R15: from the Asia/Shanghai exit date + 91 days.
    exit_day = enrollment.exited_at.astimezone(SHANGHAI).date()
    reentry_day = exit_day + dt.timedelta(days=91)
    merchant.reload()
    expect(merchant.locator("[data-testid=reentry]")).to_contain_text(dates(exit_day))
    expect(merchant.locator("[data-testid=reentry]")).to_contain_text(dates(reentry_day))
    expect(merchant.locator("[data-testid=cannot-apply]")).to_contain_text(dates(reentry_day))
    expect(merchant.locator("#id_alipay_account")).to_have_count(0)

    # 6. R15 at day 90: still no application, even with a new live invitation (R10).
    day_before = dt.datetime.combine(reentry_day - dt.timedelta(days=1), dt.time(12), SHANGHAI)
    with time_machine.travel(day_before, tick=True):
        services.invitation_create(
            platform_shop_id=SHOP_ID,
            shop_name=SHOP_NAME,
            contact_email=CONTACT_EMAIL,
            expires_at=timezone.now() + dt.timedelta(days=30),
            actor=uma,
        )
        new_invitation = Invitation.objects.filter(shop=shop).latest("created_at")
        assert new_invitation.pk != invitation.pk
        assert base + "/enrollment/" in mailoutbox[-1].body  # has a password: a plain link

        merchant.goto(base + "/enrollment/")  # the session expired during the 90 days
        sign_in(merchant, MERCHANT_LOGIN, MERCHANT_PASSWORD)
        expect(merchant).to_have_url(base + "/enrollment/")
        expect(merchant.locator("[data-testid=cannot-apply]")).to_contain_text(dates(reentry_day))
        expect(merchant.locator("#id_alipay_account")).to_have_count(0)

    # R15 on day 91 itself, just after midnight in Shanghai: the form is back; applying works.
    day_91 = dt.datetime.combine(reentry_day, dt.time(0, 0, 30), SHANGHAI)
    with time_machine.travel(day_91, tick=True):
        merchant.goto(base + "/enrollment/")
        expect(merchant).to_have_url(base + "/enrollment/")
        expect(merchant.locator("[data-testid=cannot-apply]")).to_have_count(0)
        expect(merchant.locator("#id_alipay_account")).to_be_visible()
        fill_application(merchant)
        expect_pending(merchant)

    second = Enrollment.objects.filter(shop=shop).latest("applied_at")
    assert second.pk != enrollment.pk
    assert (second.state, second.invitation_id) == ("pending", new_invitation.pk)
    assert second.applied_at.astimezone(SHANGHAI).date() == reentry_day


def test_R3_language_switch_on_the_login_page_sets_the_html_lang(live_server, new_page):
    page = new_page()
    page.goto(live_server.url + "/accounts/login/")
    html, select = page.locator("html"), page.locator("#language-select")
    expect(html).to_have_attribute("lang", "zh-hans")  # Accept-Language zh-CN
    assert_styled(page)

    select.select_option("en")
    page.locator("#language-switch").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(live_server.url + "/accounts/login/")
    expect(select).to_have_value("en")
    page.reload()  # the choice is kept (language cookie)
    expect(html).to_have_attribute("lang", "en")

    select.select_option("zh-hans")
    page.locator("#language-switch").click()
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(select).to_have_value("zh-hans")
