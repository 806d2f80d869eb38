"""The merchant's claims pages end to end, in a real browser (issue 4): a paid policy (R24),
warranty-card refunds and their CSV (R44), confirming and refusing returns (R34), reporting a
buyer (R60), English (R3), and a reviewer's approval in the admin seen by the merchant (R32).

The data comes in through the platform event API (tests/platform_api/events.py, Django's
test client, same database as the live server) and the decision services, before the
browser starts. Selectors are ids, names, URLs and data-testid attributes; visible text is
checked only where it is the point (R24's 理赔成功, R3's English).
"""

import csv
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from claims.models import BuyerFeedback, Claim, Payout, Policy
from claims.services import decisions
from portal import audit
from tests.browser.test_enrollment_flow import ADMIN_SUCCESS_MESSAGE, SUCCESS_MESSAGE, sign_in
from tests.conftest import PASSWORD
from tests.factories import make_orders
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = 6  # O0..O5 (make_orders: odd = return and refund, even = refund only, O4 not covered)
COVERED = {"RO0", "RO1", "RO2", "RO3", "RO5"}
CLAIM_PAID = re.compile("理赔成功")  # R24's name of a policy whose claim was paid


@pytest.fixture
def claims_of_alice(client, shop, rita, private_media):
    """Six orders of alice's shop 甲店 with a refund request each, and claims in every state
    the journey needs:

    RO0 refund only, approved by rita: paid, its policy 理赔成功 (R24)
    RO1, RO3 returns approved by rita, the buyer shipped them: the merchant must act (R34)
    RO2 refund only, waiting for the reviewer (R32)
    RO4 reason "other": merchant-handled, no claim (R44)
    RO5 a return waiting for the reviewer
    """
    make_orders(client, shop, ORDERS)
    claims = {c.refund.platform_refund_id: c for c in Claim.objects.select_related("refund")}
    assert set(claims) == COVERED
    assert {c.state for c in claims.values()} == {"submitted"}

    decisions.claim_approve(claim_id=claims["RO0"].pk, actor=rita)
    for refund_id in ("RO1", "RO3"):
        decisions.claim_approve(claim_id=claims[refund_id].pk, actor=rita)
        # Shipped now (not on events.T0's day): the merchant's receipt deadline is ahead.
        shipped = ev.return_shipped(refund_id, at=timezone.now(), tracking=f"SF-{refund_id}")
        ev.send(client, shipped)

    claims = {c.refund.platform_refund_id: c for c in Claim.objects.select_related("refund")}
    assert claims["RO0"].state == "paid"
    assert claims["RO1"].state == claims["RO3"].state == "return_shipped"
    return claims


# --- helpers ---


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    sign_in(page, username, PASSWORD)


def nav(page: Page, path: str) -> None:
    """Follow the main navigation's link to `path`."""
    page.locator(f'nav.mainnav a[href="{path}"]').click()
    expect(page).to_have_url(re.compile(re.escape(path) + r"(\?|$)"))


def filter_by(page: Page, select: str, value: str) -> None:
    page.locator(select).select_option(value)
    page.locator("form.filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"[?&]{select.removeprefix('#id_')}={value}(&|$)"))


def expect_claim_state(page: Page, state: str) -> None:
    expect(page.locator("[data-testid=claim-state]")).to_have_class(
        re.compile(rf"(^|\s)status-{state}(\s|$)")
    )


def png_file(tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(ev.png_bytes(color=(90, 90, 90), size=(64, 48)))
    return str(path)


# --- tests ---


def test_R24_R44_R34_R60_R3_a_merchant_finds_the_paid_policy_filters_warranty_refunds_exports_them_confirms_and_refuses_returns_reports_the_buyer_and_reads_it_in_english(  # noqa: E501
    live_server, new_page, alice, claims_of_alice, tmp_path
):
    base = live_server.url
    page = new_page()

    # alice signs in and lands on her dashboard, with the two returns to act on.
    log_in(page, base, alice.username)
    expect(page).to_have_url(base + "/dashboard/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    todo = page.locator("section[aria-labelledby=todo-h] tbody tr")
    expect(todo).to_have_count(2)
    expect(page.locator("section[aria-labelledby=todo-h] tr.overdue")).to_have_count(0)
    for refund_id in ("RO1", "RO3"):
        href = f"/claims/{claims_of_alice[refund_id].pk}/"
        expect(todo.locator(f'a[href="{href}"]')).to_have_text(refund_id)

    # R24: the policies filtered by 理赔成功: only O0's, named so on the list and its page.
    nav(page, "/policies/")
    expect(page.locator("tbody tr")).to_have_count(ORDERS)
    filter_by(page, "#id_status", "claim_paid")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator("td").nth(1)).to_have_text("O0")
    expect(rows.locator("[data-testid=policy-status]")).to_have_text(CLAIM_PAID)
    rows.locator("a").first.click()
    policy = Policy.objects.get(order__platform_order_id="O0")
    expect(page).to_have_url(f"{base}/policies/{policy.pk}/")
    expect(page.locator("[data-testid=policy-status]")).to_have_text(CLAIM_PAID)

    # R44: the refunds of the warranty card (质保卡) only, then the same rows as a CSV.
    nav(page, "/refunds/")
    expect(page.locator("[data-testid=refund-row]")).to_have_count(ORDERS)
    filter_by(page, "#id_business", "warranty")
    rows = page.locator("[data-testid=refund-row]")
    expect(rows).to_have_count(len(COVERED))
    expect(rows.locator(".tag-warranty")).to_have_count(len(COVERED))
    assert sorted(rows.locator("td:first-child a").all_inner_texts()) == sorted(COVERED)
    expect(page.get_by_text("RO4", exact=True)).to_have_count(0)

    with page.expect_download() as download:
        page.locator("[data-testid=export]").click()
    assert download.value.suggested_filename == "refunds.csv"
    with open(download.value.path(), encoding="utf-8-sig", newline="") as file:
        header, *lines = list(csv.reader(file))
    assert len(header) == 11 and all(header), header
    assert sorted(line[0] for line in lines) == sorted(COVERED)
    assert {line[1] for line in lines} == {f"O{i}" for i in (0, 1, 2, 3, 5)}

    # R34: RO1's return arrived; confirming takes a second, explicit step; then it is paid.
    ro1 = claims_of_alice["RO1"]
    nav(page, "/dashboard/")
    page.locator(f'section[aria-labelledby=todo-h] a[href="/claims/{ro1.pk}/"]').click()
    expect(page).to_have_url(f"{base}/claims/{ro1.pk}/")
    expect_claim_state(page, "return_shipped")
    page.locator("[data-testid=confirm-receipt]").click()
    expect(page).to_have_url(f"{base}/claims/{ro1.pk}/confirm-receipt/")
    assert Claim.objects.get(pk=ro1.pk).state == "return_shipped"  # nothing yet
    page.locator("[data-testid=confirm-receipt-submit]").click()
    expect(page).to_have_url(f"{base}/claims/{ro1.pk}/")
    expect(page.locator(SUCCESS_MESSAGE)).to_be_visible()
    expect_claim_state(page, "paid")
    expect(page.locator("[data-testid=confirm-receipt]")).to_have_count(0)
    payout = Payout.objects.get(claim_id=ro1.pk)
    expect(page.locator("[data-testid=paid]")).to_contain_text(f"¥{payout.amount}")

    # R34: RO3's parcel came back empty: refused on that ground, with a photo.
    ro3 = claims_of_alice["RO3"]
    nav(page, "/dashboard/")
    expect(todo).to_have_count(1)
    todo.locator(f'a[href="/claims/{ro3.pk}/"]').click()
    expect(page).to_have_url(f"{base}/claims/{ro3.pk}/")
    page.locator("[data-testid=refuse-receipt]").click()
    expect(page).to_have_url(f"{base}/claims/{ro3.pk}/refuse-receipt/")
    page.locator("input[name=ground][value=empty_parcel]").check()
    page.locator("#id_note").fill("包裹是空的，只有填充物")
    page.locator("#id_photos").set_input_files(png_file(tmp_path, "empty-box.png"))
    page.locator("[data-testid=refuse-submit]").click()
    expect(page).to_have_url(f"{base}/claims/{ro3.pk}/")
    expect(page.locator(SUCCESS_MESSAGE)).to_be_visible()
    expect_claim_state(page, "receipt_refused")
    expect(page.locator("[data-testid=refuse-receipt]")).to_have_count(0)
    expect(page.locator('ul.gallery img[alt*="empty-box.png"]')).to_be_visible()
    ro3.refresh_from_db()
    assert (ro3.state, ro3.refusal_ground) == ("receipt_refused", "empty_parcel")
    assert ro3.evidence.filter(kind="refusal").count() == 1

    # R60: from the same claim page, alice reports the buyer; the report is on /feedback/.
    report = page.locator("section#report")
    report.locator("input[name=category][value=profiteering]").check()
    report.locator("textarea[name=description]").fill("退回空包裹，疑似恶意牟利")
    report.locator("[data-testid=report-buyer]").click()
    expect(page).to_have_url(base + "/feedback/")
    expect(page.locator(SUCCESS_MESSAGE)).to_be_visible()
    reports = page.locator("main tbody tr")
    expect(reports).to_have_count(1)
    expect(reports.locator("td").nth(1)).to_have_text("buyer3")
    expect(reports.locator(f'a[href="/claims/{ro3.pk}/"]')).to_have_text("RO3")
    expect(reports).to_contain_text("退回空包裹")
    feedback = BuyerFeedback.objects.get()
    assert (feedback.claim_id, feedback.category, feedback.state) == (
        ro3.pk,
        "profiteering",
        "open",
    )

    # R3: English, on this page and the next ones.
    page.locator("#language-select").select_option("en")
    page.locator("#language-switch").click()
    expect(page).to_have_url(base + "/feedback/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator('nav.mainnav a[href="/policies/"]')).to_have_text("Policies")
    expect(page.locator("main h1")).to_have_text("Buyer feedback")
    nav(page, "/policies/")
    filter_by(page, "#id_status", "claim_paid")
    # O0's and, since alice confirmed the return, O1's.
    expect(page.locator("tbody [data-testid=policy-status]")).to_have_text(["Claim paid"] * 2)


def test_R32_R35_a_reviewer_approves_a_refund_only_claim_in_the_admin_and_the_merchant_sees_it_paid(  # noqa: E501
    live_server, new_page, alice, rita, claims_of_alice
):
    base = live_server.url
    ro2 = claims_of_alice["RO2"]
    claim_url = f"{base}/claims/{ro2.pk}/"

    merchant = new_page()
    log_in(merchant, base, alice.username)
    expect(merchant).to_have_url(base + "/dashboard/")
    merchant.goto(claim_url)
    expect_claim_state(merchant, "submitted")
    expect(merchant.locator("[data-testid=paid]")).to_have_text("—")

    # rita, in her own browser, approves RO2 in the admin through the transition's page.
    reviewer = new_page()
    log_in(reviewer, base, rita.username)
    expect(reviewer).to_have_url(base + "/admin/")
    change_url = f"{base}/admin/claims/claim/{ro2.pk}/change/"
    reviewer.goto(change_url)
    reviewer.locator('a[href$="/transition/approve/"]').first.click()
    expect(reviewer).to_have_url(f"{base}/admin/claims/claim/{ro2.pk}/transition/approve/")
    reviewer.locator("#content form input[type=submit]").click()
    expect(reviewer).to_have_url(change_url)
    expect(reviewer.locator(ADMIN_SUCCESS_MESSAGE)).to_be_visible()
    expect(reviewer.locator('a[href$="/transition/approve/"]')).to_have_count(0)
    ro2.refresh_from_db()
    assert (ro2.state, ro2.decided_by_system) == ("paid", False)

    # R35: refund only: approved and paid at once; the merchant sees it on reload.
    merchant.reload()
    expect_claim_state(merchant, "paid")
    payout = Payout.objects.get(claim_id=ro2.pk)
    expect(merchant.locator("[data-testid=paid]")).to_contain_text(f"¥{payout.amount}")
    expect(merchant.locator("ol.timeline li")).to_have_count(audit.timeline(ro2).count())

    # R24: and its policy is now 理赔成功.
    merchant.locator(f'a[href="/policies/{ro2.policy_id}/"]').click()
    expect(merchant.locator("[data-testid=policy-status]")).to_have_text(CLAIM_PAID)
