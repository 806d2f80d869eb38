"""Issue 11, point 6, in a real Chromium at 1366 px and 390 px, in zh-hans and en: what the
merchant is told. The unread count in the navigation, the notification list (mark one and
all read), a review past its 24 h marked overdue with the hotline (R32) in the refund list
and on the claim, breaches and their settlement (R38), the rate page with the underwriter's
override and the model's inputs (R50-R52), and an exited shop's exit and re-entry dates
(R15). The data comes in through the event API and the services before the browser starts."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from claims.models import Claim
from claims.services import decisions
from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from notifications.deadlines import receipt_deadlines_notify
from notifications.models import Notification
from tests.browser.test_merchant_portal import log_in
from tests.factories import make_orders
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
SCREENS = [
    pytest.param(width, language, id=f"{name}-{language}")
    for name, width in WIDTHS.items()
    for language in ("zh-hans", "en")
]
SAID = {
    "zh-hans": {"approved": "保险公司已同意理赔 RO0", "overdue": "保险公司审核已超时"},
    "en": {
        "approved": "The insurer approved claim RO0",
        "overdue": "The insurer's review is overdue",
    },
}
HOTLINE = "95188-9"


@pytest.fixture
def told(client, shop, rita, uma, private_media):
    """RO0 paid, RO1 refused and overruled (a breach), RO2 in review since June (overdue),
    RO3 shipped with its receipt deadline coming; an underwriter's rate with a reason."""
    make_orders(client, shop, 4)
    claims = {c.refund.platform_refund_id: c for c in Claim.objects.select_related("refund")}
    decisions.claim_approve(claim_id=claims["RO0"].pk, actor=rita)
    for refund_id in ("RO1", "RO3"):
        decisions.claim_approve(claim_id=claims[refund_id].pk, actor=rita)
        ev.send(client, ev.return_shipped(refund_id))
    decisions.claim_refuse_receipt(
        claim_id=claims["RO1"].pk,
        actor=shop.merchants.get().user,
        ground="missing_items",
        note="少件",
        evidence=[("box.png", ev.png_bytes())],
    )
    decisions.claim_overrule_refusal(claim_id=claims["RO1"].pk, actor=rita, note="")
    due = Claim.objects.get(pk=claims["RO3"].pk).receipt_due_at
    assert receipt_deadlines_notify(now=due - dt.timedelta(hours=2)) == 1
    enrollment_services.rate_override(
        shop_id=shop.pk,
        rate=Decimal("0.0120"),
        reason="售后记录优秀 / excellent after-sales",
        actor=uma,
    )
    return claims


def open_as(new_page, live_server, alice, size, language) -> Page:
    page = new_page()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    log_in(page, live_server.url, alice.username)
    expect(page.locator("html")).to_have_attribute("lang", language)
    return page


def assert_fits(page: Page, selector: str) -> None:
    """The element lies within the viewport's width (no sideways scrolling to read it)."""
    width = page.viewport_size["width"]
    for box in page.locator(selector).evaluate_all(
        "els => els.map(e => e.getBoundingClientRect()).map(r => [r.left, r.right])"
    ):
        assert box[0] >= 0 and box[1] <= width + 0.5, (selector, box, width)


@pytest.mark.parametrize(("size", "language"), SCREENS)
def test_the_merchant_is_told_what_happened_and_what_is_due(
    live_server, new_page, alice, told, size, language
):
    base = live_server.url
    page = open_as(new_page, live_server, alice, size, language)
    unread = Notification.objects.filter(read_at__isnull=True).count()
    # RO0 approved and paid; RO1, RO3 approved and shipped (2 each); RO1's breach; RO3's notice
    assert unread == 7

    # the navigation carries the unread count on every page
    page.goto(base + "/dashboard/")
    badge = page.locator("[data-testid=unread-count]")
    expect(badge).to_contain_text(str(unread))

    # R32: the review past its 24 h, in the list and on the claim, with the hotline
    page.goto(base + "/refunds/")
    row = page.locator("[data-testid=refund-row]", has_text="RO2")
    expect(row.locator("[data-testid=review-overdue]")).to_contain_text(HOTLINE)
    row.get_by_role("link", name="RO2").click()
    box = page.locator("section[data-testid=review-overdue]")
    expect(box).to_contain_text(SAID[language]["overdue"])
    expect(box).to_contain_text(HOTLINE)
    assert_fits(page, "section[data-testid=review-overdue]")

    # R38: the breach, owed, on its own page
    page.goto(base + "/dashboard/")
    page.locator("[data-testid=breaches-link]").click()
    expect(page.locator("[data-testid=breach-row][data-state=owed]")).to_contain_text("RO1")

    # R50-R52: why the rate is 1.20%: the override's reason and the model's inputs
    page.goto(base + "/dashboard/")
    page.locator("[data-testid=why-rate]").click()
    expect(page.locator("[data-testid=explained-rate]")).to_have_text("1.20%")
    expect(page.locator("[data-testid=override-reason]")).to_contain_text("售后记录优秀")
    expect(page.locator("[data-testid=model-inputs]")).to_be_visible()
    assert_fits(page, "[data-testid=model-inputs]")

    # the notifications: read one, then all
    page.goto(base + "/notifications/")
    items = page.locator("[data-testid=notification]")
    expect(items).to_have_count(unread)
    expect(page.locator("main")).to_contain_text(SAID[language]["approved"])
    expect(page.locator("[data-kind=receipt_due_soon]")).to_have_count(1)
    assert_fits(page, "[data-testid=notification]")
    items.first.locator("[data-testid=read-one]").click()
    expect(page.locator("[data-testid=unread-count]")).to_contain_text(str(unread - 1))
    page.locator("[data-testid=read-all]").click()
    expect(page.locator("[data-testid=unread-count]")).to_have_count(0)
    expect(page.locator("[data-testid=unread-mark]")).to_have_count(0)


@pytest.mark.parametrize(("size", "language"), SCREENS)
def test_an_exited_shops_dashboard_shows_when_it_left_and_may_return(
    live_server, new_page, alice, shop, uma, size, language
):
    enrollment = Enrollment.objects.get(shop=shop)
    enrollment_services.enrollment_request_exit(shop=shop, actor=alice, reason="暂停")
    enrollment_services.enrollment_exit(enrollment_id=enrollment.pk, actor=uma, note="")
    enrollment.refresh_from_db()

    page = open_as(new_page, live_server, alice, size, language)
    page.goto(live_server.url + "/dashboard/")

    dates = page.locator("[data-testid=dashboard-reentry]")
    expect(dates).to_contain_text(f"{enrollment.exit_date:%Y-%m-%d}")
    expect(dates).to_contain_text(f"{enrollment.reentry_date:%Y-%m-%d}")
    expect(page.locator("[data-testid=dashboard-rate]")).to_have_count(0)
    assert_fits(page, "[data-testid=dashboard-reentry]")
