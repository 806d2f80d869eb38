"""The insurer's admin in a real browser (issue 11 points 4-5): the reviewer queue fits a
1366 px screen with amount, state, deadline and the overdue mark in view; every changelist and
change form speaks Chinese to zh-hans staff and shows no UTC offset; the language switch; the
SLA page at 1366 px and 390 px in both languages.

Selectors are ids, classes the pages set for this and data-testid attributes.
"""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from claims.models import Claim
from claims.services import decisions
from tests.browser.test_enrollment_flow import sign_in
from tests.conftest import PASSWORD
from tests.factories import asked_at
from tests.portal.admin_walk import admin_pages, latin_only

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
QUEUE = "/admin/claims/claim/"
SLA = "/admin/claims/claim/sla/"

# What a person reads as headings on an admin page (tests/portal/admin_walk.py for the HTML).
HEADINGS_JS = """() => [...document.querySelectorAll(
    '#result_list thead th, #changelist-filter summary, #changelist-filter h3, ' +
    '#content-main label, #content-main h2.fieldset-heading, #content-main h2.inline-heading, ' +
    '#content-main .tabular thead th, select[name=action] option')]
  .map(e => e.innerText.trim()).filter(t => t)"""
NO_SIDEWAYS_SCROLL_JS = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def claims(send_order_story, shop, rita):
    """Five claims of one shop with long names: two overdue, two in time, one paid."""
    shop.name = "杭州西湖区某某家用电器旗舰店（官方授权）"
    shop.save()
    now = timezone.now()
    for n, hours_ago in enumerate([40, 30, 20, 2, 1], start=1):
        requested = now - dt.timedelta(hours=hours_ago)
        send_order_story(
            f"ORDER-2026-{n:08d}",
            buyer=f"BUYER-{n:06d}",
            refund_id=f"REFUND-2026-{n:08d}",
            **asked_at(requested),
            reason="damaged_or_stained",
            amount="1999.00" if n % 2 else "199.00",
        )
    paid = Claim.objects.get(refund__platform_refund_id="REFUND-2026-00000005")
    decisions.claim_approve(claim_id=paid.pk, actor=rita)
    return Claim.objects.all()


def staff_page(new_page, live_server, username, *, viewport=DESKTOP, language=None) -> Page:
    page = new_page()
    page.set_viewport_size(viewport)
    if language:  # as the admin's language switch leaves it (Django's language cookie)
        page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
    page.goto(live_server.url + "/accounts/login/")
    sign_in(page, username, PASSWORD)
    return page


def assert_in_view(page: Page, selector: str, width: int) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_R32_the_claim_queue_fits_1366_px_with_amount_state_deadline_and_mark(
    new_page, live_server, claims, rita, language
):
    page = staff_page(new_page, live_server, "rita", language=language)
    page.goto(live_server.url + QUEUE)

    expect(page.locator("#result_list tbody tr")).to_have_count(5)
    assert page.evaluate(NO_SIDEWAYS_SCROLL_JS)
    first_row = "#result_list tbody tr:first-child"
    for cell in ("td.amount", "td.due", "td.due .overdue", "td.due .countdown"):
        assert_in_view(page, f"{first_row} {cell}", DESKTOP["width"])
    state = page.locator(f"{first_row} td").nth(4)  # checkbox, shop, reason, amount, state
    assert state.bounding_box()["x"] + state.bounding_box()["width"] <= DESKTOP["width"]
    expect(page.locator(f"{first_row} td.amount")).to_have_text("¥1999.00")
    overdue = "已超时" if language == "zh-hans" else "OVERDUE"
    expect(page.locator(f"{first_row} td.due .overdue")).to_contain_text(overdue)
    expect(page.locator("body")).not_to_contain_text("+00:00")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_claim_queue_on_a_phone_keeps_the_page_from_scrolling_sideways(
    new_page, live_server, claims, rita, language
):
    page = staff_page(new_page, live_server, "rita", viewport=PHONE, language=language)
    page.goto(live_server.url + QUEUE)

    expect(page.locator("#result_list tbody tr")).to_have_count(5)
    assert page.evaluate(NO_SIDEWAYS_SCROLL_JS)
    expect(page.locator("[data-testid=admin-language]")).to_be_visible()
    expect(page.locator("[data-testid=sla-link]")).to_be_visible()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_R32_the_sla_page_shows_the_service_level(
    new_page, live_server, claims, rita, language, viewport
):
    page = staff_page(new_page, live_server, "rita", viewport=viewport, language=language)
    page.goto(live_server.url + QUEUE)
    page.locator("[data-testid=sla-link]").click()

    expect(page).to_have_url(live_server.url + SLA)
    expect(page.locator("[data-testid=overdue-now]")).to_have_text("2")
    expect(page.locator("#sla-windows [data-window=today] [data-testid=share]")).to_have_text(
        "100.0%"
    )
    expect(page.locator("#sla-reviewers [data-reviewer=rita]")).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL_JS)
    title = "审核时效" if language == "zh-hans" else "Reviewer service level"
    expect(page.locator("#content h1")).to_have_text(title)


def test_the_admin_language_switch(new_page, live_server, claims, rita):
    page = staff_page(new_page, live_server, "rita")  # the browser asks for zh-CN
    page.goto(live_server.url + QUEUE)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    page.locator("[data-testid=admin-language] button[value=en]").click()

    expect(page).to_have_url(live_server.url + QUEUE)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#result_list thead")).to_contain_text("Review due")
    page.locator("[data-testid=admin-language] button[value=zh-hans]").click()
    expect(page.locator("#result_list thead")).to_contain_text("审核截止时间")


@pytest.fixture
def walker(migration_data, capsys):
    """The demo's data and a superuser who sees every admin page."""
    call_command("seed_demo")
    capsys.readouterr()
    get_user_model().objects.create_superuser("walker", password=PASSWORD)
    return "walker"


def test_every_admin_page_in_zh_hans_has_chinese_headings_and_no_utc_offset(
    new_page, live_server, walker
):
    page = staff_page(new_page, live_server, walker, language="zh-hans")
    english, offsets, pages = [], [], list(admin_pages())
    for url in pages:
        response = page.goto(live_server.url + url)
        assert response.ok, url
        english += [(url, text) for text in page.evaluate(HEADINGS_JS) if latin_only(text)]
        if "+00:00" in page.content():
            offsets.append(url)
    assert len(pages) > 30
    assert english == []
    assert offsets == []


def test_no_admin_page_in_english_shows_a_utc_offset(new_page, live_server, walker):
    page = staff_page(new_page, live_server, walker, language="en")
    offsets = []
    for url in admin_pages():
        page.goto(live_server.url + url)
        if "+00:00" in page.content():
            offsets.append(url)
    assert offsets == []
