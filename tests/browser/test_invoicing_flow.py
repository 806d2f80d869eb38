"""Invoices for premiums end to end, in a real browser (issue 5): a merchant requests a paper
invoice, sees the amount before confirming (R70, R71), finance issues and ships it in the
admin queue (R73, R75), and the merchant sees the tracking number on the records page (R74).
A second journey uploads an electronic invoice's PDF in the admin and downloads it (R73).

Selectors are ids, names, URLs and data-testid attributes, never visible text.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from invoicing.models import InvoiceRequest
from portal.clock import SHANGHAI
from tests.browser.test_enrollment_flow import ADMIN_SUCCESS_MESSAGE, SUCCESS_MESSAGE, sign_in
from tests.conftest import PASSWORD
from tests.invoicing.helpers import PAPER, PDF, TAXPAYER_ID, grant_invoicing_groups, make_policy

pytestmark = pytest.mark.django_db(transaction=True)

TRACKING = "SF1402233445566"


@pytest.fixture
def fiona(migration_data, fiona):
    """Finance, once the staff groups exist again, with the invoicing permissions (the data
    migration portal/0003 is not among conftest's SEEDING_MIGRATIONS)."""
    grant_invoicing_groups()
    return fiona


@pytest.fixture
def last_month_premiums(shop):
    """Three premiums charged in the previous Asia/Shanghai month: 2.99 + 15.00 + 5.00."""
    this_month = timezone.now().astimezone(SHANGHAI).date().replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    for day, premium in [(3, "2.99"), (12, "15.00"), (25, "5.00")]:
        issued = dt.datetime.combine(last_month.replace(day=day), dt.time(10), SHANGHAI)
        make_policy(shop, premium=premium, issued_at=issued)
    return last_month


def request_invoice(page: Page, month: dt.date, **paper) -> None:
    """On the records page: open the form, fill it, show the amount, confirm."""
    page.locator("[data-testid=new-invoice]").click()
    expect(page).to_have_url(re.compile(r"/invoices/new/$"))
    page.locator("#id_first_month").fill(f"{month:%Y-%m}")
    page.locator("#id_last_month").fill(f"{month:%Y-%m}")
    kind = "paper_special" if paper else "electronic_general"
    page.locator(f"input[name=invoice_type][value={kind}]").check()
    page.locator("#id_title").fill("杭州甲电器有限公司")
    page.locator("#id_taxpayer_id").fill(TAXPAYER_ID.lower())
    page.locator("#id_email").fill("finance@shop-a.cn")
    for name, value in paper.items():
        page.locator(f"#id_{name}").fill(value)
    page.locator("[data-testid=preview]").click()
    expect(page.locator("[data-testid=quote-amount]")).to_have_text("¥22.99")
    page.locator("[data-testid=confirm]").click()
    expect(page).to_have_url(re.compile(r"/invoices/$"))
    expect(page.locator(SUCCESS_MESSAGE)).to_be_visible()


def open_request(staff: Page, base: str, invoice: InvoiceRequest) -> str:
    """From finance's queue, open the request; returns its change URL."""
    staff.goto(base + "/admin/invoicing/invoicerequest/")
    staff.locator("#result_list tbody tr").first.locator("a").first.click()
    change_url = f"{base}/admin/invoicing/invoicerequest/{invoice.pk}/change/"
    expect(staff).to_have_url(change_url)
    return change_url


def run_transition(staff: Page, change_url: str, name: str, fields: dict) -> None:
    staff.goto(change_url)
    staff.locator(f'a[href$="/transition/{name}/"]').first.click()
    expect(staff).to_have_url(re.compile(rf"/transition/{name}/$"))
    for selector, value in fields.items():
        if selector == "pdf":
            staff.locator("#id_pdf").set_input_files(value)
        else:
            staff.locator(selector).fill(value)
    staff.locator("#content form input[type=submit]").click()
    expect(staff).to_have_url(change_url)
    expect(staff.locator(ADMIN_SUCCESS_MESSAGE)).to_be_visible()


def test_R70_R71_R73_R74_R75_merchant_requests_a_paper_invoice_and_sees_its_tracking_number(
    live_server, settings, new_page, mailoutbox, alice, fiona, last_month_premiums
):
    settings.PORTAL_BASE_URL = base = live_server.url

    # 1. R70/R71: the merchant requests a paper invoice for last month; the amount first.
    merchant = new_page()
    merchant.goto(base + "/invoices/")
    sign_in(merchant, alice.username, PASSWORD)
    expect(merchant).to_have_url(base + "/invoices/")
    expect(merchant.locator("[data-testid=no-invoices]")).to_be_visible()
    request_invoice(
        merchant, last_month_premiums, **{k: v for k, v in PAPER.items() if k != "invoice_type"}
    )

    invoice = InvoiceRequest.objects.get()
    assert (invoice.state, invoice.amount, invoice.invoice_type) == (
        "submitted",
        Decimal("22.99"),
        "paper_special",
    )
    row = merchant.locator(f"#invoice-{invoice.pk}")
    expect(row.locator("[data-testid=invoice-status]")).to_have_class(
        re.compile("status-submitted")
    )
    expect(row.locator("[data-testid=deadline]")).to_contain_text(
        f"{timezone.localtime(invoice.deadline_at):%Y-%m-%d %H:%M}"
    )
    expect(row.locator("[data-testid=tracking-number]")).to_have_text("—")
    expect(row.locator("[data-testid=cancel-invoice]")).to_be_visible()

    # 2. R75: finance finds it in the queue, issues it, then ships it.
    staff = new_page()
    staff.goto(base + "/accounts/login/")
    sign_in(staff, "fiona", PASSWORD)
    expect(staff).to_have_url(base + "/admin/")
    change_url = open_request(staff, base, invoice)
    today = timezone.now().astimezone(SHANGHAI).date()
    run_transition(
        staff,
        change_url,
        "issue",
        {"#id_invoice_number": "26330000000012345678", "#id_invoice_date": f"{today:%Y-%m-%d}"},
    )
    expect(staff.locator('a[href$="/transition/issue/"]')).to_have_count(0)
    run_transition(
        staff, change_url, "ship", {"#id_carrier": "顺丰速运", "#id_tracking_number": TRACKING}
    )
    expect(staff.locator('a[href*="/transition/"]')).to_have_count(0)
    invoice.refresh_from_db()
    assert (invoice.state, invoice.tracking_number) == ("shipped", TRACKING)

    # 3. R74: the merchant sees the invoice number and the tracking number.
    merchant.reload()
    row = merchant.locator(f"#invoice-{invoice.pk}")
    expect(row.locator("[data-testid=invoice-status]")).to_have_class(re.compile("status-shipped"))
    expect(row.locator("[data-testid=invoice-number]")).to_contain_text("26330000000012345678")
    expect(row.locator("[data-testid=tracking-number]")).to_contain_text(TRACKING)
    expect(row.locator("[data-testid=cancel-invoice]")).to_have_count(0)
    expect(row.locator("[data-testid=overdue]")).to_have_count(0)

    # E-mails when issued and when shipped, the second with the tracking number.
    assert len(mailoutbox) == 2
    assert TRACKING in mailoutbox[1].body and base + "/invoices/" in mailoutbox[1].body


def test_R73_finance_uploads_the_pdf_of_an_electronic_invoice_and_the_merchant_downloads_it(
    live_server, new_page, alice, fiona, last_month_premiums, private_media, tmp_path
):
    base = live_server.url
    merchant = new_page()
    merchant.goto(base + "/invoices/")
    sign_in(merchant, alice.username, PASSWORD)
    request_invoice(merchant, last_month_premiums)
    invoice = InvoiceRequest.objects.get()

    staff = new_page()
    staff.goto(base + "/accounts/login/")
    sign_in(staff, "fiona", PASSWORD)
    expect(staff).to_have_url(base + "/admin/")
    change_url = open_request(staff, base, invoice)
    pdf = tmp_path / "fapiao.pdf"
    pdf.write_bytes(PDF)
    today = timezone.now().astimezone(SHANGHAI).date()
    run_transition(
        staff,
        change_url,
        "issue",
        {
            "#id_invoice_number": "26330000000087654321",
            "#id_invoice_date": f"{today:%Y-%m-%d}",
            "pdf": str(pdf),
        },
    )
    expect(staff.locator('a[href*="/transition/"]')).to_have_count(0)  # no shipping

    merchant.reload()
    link = merchant.locator(f"#invoice-{invoice.pk} [data-testid=invoice-pdf]")
    with merchant.expect_download() as download:
        link.click()
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == PDF
    assert download.value.suggested_filename == "invoice-26330000000087654321.pdf"
