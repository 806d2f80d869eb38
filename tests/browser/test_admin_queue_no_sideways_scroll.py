"""Issue 11: the admin claim queue never scrolls sideways, at 1366 px and 390 px, in zh-hans and
en: neither the page nor any box in it (on a phone the table used to scroll inside its box,
amount, state and deadline out of sight; it is now a card per claim), and the first claim's
amount, state, deadline and overdue mark are on screen."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_admin_pages import (  # noqa: F401  (claims: a fixture)
    DESKTOP,
    PHONE,
    QUEUE,
    assert_in_view,
    claims,  # noqa: F811
    staff_page,
)

pytestmark = pytest.mark.django_db(transaction=True)

# The page, and every element that scrolls its own content sideways (overflow-x auto/scroll).
SCROLLS_SIDEWAYS_JS = """() => {
  const out = [];
  const page = document.documentElement;
  if (page.scrollWidth > page.clientWidth) out.push(['page', page.scrollWidth, page.clientWidth]);
  for (const e of document.querySelectorAll('body *')) {
    const overflow = getComputedStyle(e).overflowX;
    if ((overflow === 'auto' || overflow === 'scroll') && e.scrollWidth > e.clientWidth + 1)
      out.push([e.tagName + '.' + e.className, e.scrollWidth, e.clientWidth]);
  }
  return out;
}"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_issue11_the_claim_queue_scrolls_sideways_nowhere(
    new_page,
    live_server,
    claims,  # noqa: F811
    rita,
    language,
    viewport,
):
    page = staff_page(new_page, live_server, "rita", viewport=viewport, language=language)
    page.goto(live_server.url + QUEUE)

    expect(page.locator("#result_list tbody tr")).to_have_count(5)
    assert page.evaluate(SCROLLS_SIDEWAYS_JS) == []
    first_row = "#result_list tbody tr:first-child"
    for cell in ("td.amount", "td.due", "td.due .overdue", "td.due .countdown", "td:nth-child(6)"):
        assert_in_view(page, f"{first_row} {cell}", viewport["width"])
    expect(page.locator(f"{first_row} td.amount")).to_have_text("¥1999.00")
