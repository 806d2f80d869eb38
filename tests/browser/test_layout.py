"""Issue 11, points 7 and 8, in a real browser at 1366 px and 390 px, in zh-hans and en:
every merchant page fits the screen (no sideways scroll), the navigation folds behind a
Menu button on a phone with no link broken inside a word, list tables become labelled
cards, and money and times are shown one way (¥1,770.60, 2026-12-02 11:32), never UTC.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import _CONTEXTS, ACTION_TIMEOUT_MS
from tests.browser.test_merchant_portal import claims_of_alice, log_in  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

PHONE, DESKTOP = 390, 1366
PAGES = [
    "/dashboard/",
    "/policies/",
    "/refunds/",
    "/refunds/?business=warranty",
    "/feedback/",
    "/payouts/",
    "/invoices/",
    "/enrollment/",
    "/exports/",
]
# Any "¥" starts an amount in the one format; dates of other formats are not shown.
MONEY = re.compile(r"¥(?!\d{1,3}(,\d{3})*\.\d{2}(?!\d))")
OTHER_DATES = [
    re.compile(r"\d{4}年\d{1,2}月\d{1,2}日"),  # zh-hans DATE_FORMAT
    re.compile(r"\b(Jan|Feb|March|April|May|June|July|Aug|Sept|Oct|Nov|Dec)\.? \d{1,2}, \d{4}"),
    re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"),  # ISO, outside a datetime attribute
]
SCROLLS_SIDEWAYS = "() => document.documentElement.scrollWidth > window.innerWidth"
# Lines a link's text takes: boxes that share no vertical extent are on different lines (a
# badge such as the unread count sits a few pixels off the text's top, on the same line);
# the 1 px box of visually hidden text is left out.
LINE_COUNT = """a => { const r = document.createRange(); r.selectNodeContents(a);
  const boxes = [...r.getClientRects()].filter(b => b.width > 1 && b.height > 1)
    .sort((x, y) => x.top - y.top);
  let lines = 0, bottom = -Infinity;
  for (const b of boxes) { if (b.top >= bottom - 1) { lines += 1; bottom = b.bottom; }
    else { bottom = Math.max(bottom, b.bottom); } }
  return lines; }"""


def open_page(new_context, request, base: str, width: int, language: str) -> Page:
    """A browser of that width whose language choice (Django's cookie) is `language`."""
    context = new_context(viewport={"width": width, "height": 844 if width == PHONE else 900})
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    request.node.stash.setdefault(_CONTEXTS, []).append(context)
    return context.new_page()


def merchant_urls(page: Page, base: str) -> list[str]:
    """The list pages, and the first policy's and the first claim's detail pages."""
    page.goto(base + "/policies/")
    policy = page.locator("table a[href^='/policies/']").first.get_attribute("href")
    page.goto(base + "/refunds/?business=warranty")
    claim = page.locator("table a[href^='/claims/']").first.get_attribute("href")
    return PAGES + [policy, claim]


def visible_text_formats_are_the_one_format(page: Page, url: str) -> None:
    html = page.content()
    assert "+00:00" not in html, url
    text = page.locator("body").inner_text()
    assert not MONEY.search(text), f"{url}: {MONEY.search(text)}"
    for pattern in OTHER_DATES:
        assert not pattern.search(text), f"{url}: {pattern.search(text).group(0)}"


def tables_are_cards(page: Page, url: str) -> None:
    for row in page.locator("table.table tbody tr").all()[:5]:
        expect(row).to_have_css("display", "block")
        for cell in row.locator("td[data-label]").all():
            label = cell.get_attribute("data-label")
            before = cell.evaluate("td => getComputedStyle(td, '::before').content")
            assert before == f'"{label}"', f"{url}: {before!r} != {label!r}"
            if cell.is_visible():  # the dashboard's numbers stay folded in <details>
                assert cell.bounding_box()["width"] > PHONE / 2, f"{url}: a cell squeezed"


def nav_links_keep_their_words(page: Page) -> None:
    for link in page.locator("nav.mainnav a").all():
        assert link.evaluate(LINE_COUNT) == 1, link.inner_text()


@pytest.mark.usefixtures("claims_of_alice")
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_phone_shows_every_merchant_page_without_sideways_scroll_with_a_folding_menu_and_cards(
    live_server, new_context, request, alice, language
):
    base = live_server.url
    page = open_page(new_context, request, base, PHONE, language)
    log_in(page, base, alice.username)
    expect(page.locator("html")).to_have_attribute("lang", language)

    for url in merchant_urls(page, base):
        page.goto(base + url)
        assert not page.evaluate(SCROLLS_SIDEWAYS), f"{url} scrolls sideways at {PHONE} px"
        expect(page.locator("nav.mainnav")).to_be_hidden()
        visible_text_formats_are_the_one_format(page, url)
        tables_are_cards(page, url)

    page.locator("[data-testid=nav-toggle]").click()
    expect(page.locator("nav.mainnav")).to_be_visible()
    nav_links_keep_their_words(page)
    page.locator("nav.mainnav a[href='/payouts/']").click()
    expect(page).to_have_url(base + "/payouts/")
    expect(page.locator("nav.mainnav")).to_be_hidden()  # folded again on the next page


@pytest.mark.usefixtures("claims_of_alice")
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_desktop_shows_the_navigation_open_and_tables_as_tables(
    live_server, new_context, request, alice, language
):
    base = live_server.url
    page = open_page(new_context, request, base, DESKTOP, language)
    log_in(page, base, alice.username)
    expect(page.locator("html")).to_have_attribute("lang", language)

    for url in merchant_urls(page, base):
        page.goto(base + url)
        assert not page.evaluate(SCROLLS_SIDEWAYS), f"{url} scrolls sideways at {DESKTOP} px"
        expect(page.locator("nav.mainnav")).to_be_visible()
        expect(page.locator("[data-testid=nav-toggle]")).to_be_hidden()
        nav_links_keep_their_words(page)
        visible_text_formats_are_the_one_format(page, url)
        for table in page.locator("table.table").all():
            if table.is_visible():
                expect(table).to_have_css("display", "table")
