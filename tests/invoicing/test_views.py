"""R70, R74, R100: the merchant's invoice pages stay thin: status codes, scoping (another
shop's request or PDF is a 404), POST-only URLs, and a query budget that does not grow."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from invoicing import services
from invoicing.models import InvoiceRequest
from tests.invoicing.helpers import (
    PAPER,
    PDF,
    TAXPAYER_ID,
    issue,
    make_policy,
    request_data,
    shanghai,
    ship,
)

pytestmark = pytest.mark.django_db

RECORDS = reverse("invoicing:records")
NEW = reverse("invoicing:new")
D = dt.date

FORM = {
    "first_month": "2026-05",
    "last_month": "2026-06",
    "invoice_type": "electronic_general",
    "title": "杭州甲电器有限公司",
    "taxpayer_id": TAXPAYER_ID.lower(),
    "email": "finance@shop-a.cn",
    "mailing_address": "",
    "recipient": "",
    "phone": "",
}


@pytest.fixture
def as_alice(client, alice, frozen):
    client.force_login(alice)
    return client


def issued_electronic(submit, fiona):
    return issue(submit(), fiona)  # number 26330000000012345678, with its PDF


# --- access ---


@pytest.mark.parametrize("url", [RECORDS, NEW])
def test_R100_merchant_pages_require_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_R101_staff_on_merchant_pages_are_told_it_is_not_a_merchant_account(client, fiona):
    client.force_login(fiona)
    assert client.get(RECORDS).status_code == 403


@pytest.mark.parametrize("name", ["invoicing:cancel"])
def test_a_post_only_url_refuses_get(as_alice, premiums, submit, name):
    invoice = submit()
    assert as_alice.get(reverse(name, args=[invoice.pk])).status_code == 405


def test_the_pdf_url_refuses_post(as_alice, premiums, submit, fiona):
    invoice = issued_electronic(submit, fiona)
    assert as_alice.post(reverse("invoicing:pdf", args=[invoice.pk])).status_code == 405


# --- R74: the records page ---


def test_R74_the_records_page_shows_amount_deadline_status_and_numbers(
    as_alice, premiums, submit, fiona
):
    electronic = issued_electronic(submit, fiona)
    paper = services.invoice_request_create(
        shop=electronic.shop,
        actor=electronic.submitted_by,
        **request_data(first_month=D(2026, 7, 1), last_month=D(2026, 7, 1), **PAPER),
    )
    issue(paper, fiona, number="26330000000087654321")
    ship(paper, fiona)  # 顺丰速运 SF1400000000001

    response = as_alice.get(RECORDS)

    assert response.status_code == 200
    html = response.content.decode()
    rows = re.findall(r'<tr id="invoice-\d+".*?</tr>', html, re.S)
    assert len(rows) == 2
    newest, older = rows  # newest first
    assert "¥1.33" in newest and "SF1400000000001" in newest and "顺丰速运" in newest
    assert 'data-testid="invoice-status">' in newest and "status-shipped" in newest
    assert "¥22.99" in older and "26330000000012345678" in older
    assert reverse("invoicing:pdf", args=[electronic.pk]) in older
    assert "2026-07-20 23:59" in older  # the deadline (R72), in Shanghai time
    assert 'data-testid="overdue"' not in html


def test_R74_an_overdue_request_says_so_and_gives_the_hotline(client, alice, premiums, submit):
    submit()
    client.force_login(alice)
    with time_machine.travel(shanghai(2026, 7, 21, 0, 0), tick=False):
        html = client.get(RECORDS).content.decode()

    overdue = re.search(r'<strong data-testid="overdue">(.*?)</strong>', html, re.S)
    assert overdue and "95188-9" in overdue.group(1)
    assert 'class="overdue"' in html


def test_R74_a_rejected_request_shows_the_reason(as_alice, premiums, submit, fiona):
    invoice = submit()
    services.invoice_reject(invoice_id=invoice.pk, actor=fiona, reason="抬头有误")
    html = as_alice.get(RECORDS).content.decode()
    assert "抬头有误" in html and 'data-testid="cancel-invoice"' not in html


def test_R100_the_records_page_shows_only_the_shops_requests(
    client, bob, premiums, submit, other_shop_premium
):
    submit()
    client.force_login(bob)
    response = client.get(RECORDS)
    assert list(response.context["invoices"]) == []


@pytest.mark.parametrize("rows", [1, 50])
def test_R74_the_records_page_costs_the_same_queries_for_1_or_50_requests(
    as_alice, shop, alice, rows, django_assert_max_num_queries
):
    for i in range(rows):
        make_policy(
            shop, premium="3.00", issued_at=shanghai(2026, 5, 1, 12) + dt.timedelta(hours=i)
        )
        services.invoice_request_create(
            shop=shop,
            actor=alice,
            **request_data(first_month=D(2026, 5, 1), last_month=D(2026, 5, 1)),
        )
    # session, user, merchant + shop, the requests: 4, whatever the number of rows
    with django_assert_max_num_queries(4):
        response = as_alice.get(RECORDS)
    assert len(response.context["invoices"]) == rows


# --- R70: the form, its preview and its bad inputs ---


def test_R70_the_form_starts_with_last_month_and_the_users_email(as_alice, alice):
    alice.email = "alice@shop-a.cn"
    alice.save()
    response = as_alice.get(NEW)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="month" name="first_month" value="2026-06"' in html
    assert 'value="alice@shop-a.cn"' in html


def test_R70_the_form_remembers_the_last_requests_invoice_details(as_alice, premiums, submit):
    submit(**PAPER)
    form = as_alice.get(NEW).context["form"]
    assert form.initial["taxpayer_id"] == TAXPAYER_ID
    assert form.initial["invoice_type"] == "paper_special"
    assert form.initial["recipient"] == "李会计"


def test_R70_the_preview_shows_the_amount_and_writes_nothing(as_alice, premiums):
    response = as_alice.post(NEW, {**FORM, "preview": "1"})

    assert response.status_code == 200
    assert response.context["quote"].amount == Decimal("22.99")
    html = response.content.decode()
    assert 'data-testid="quote-amount">¥22.99<' in html
    assert 'name="expected_amount" value="22.99"' in html
    assert 'data-testid="confirm"' in html
    assert not InvoiceRequest.objects.exists()


def test_R70_confirming_submits_the_request(as_alice, premiums, alice):
    response = as_alice.post(NEW, {**FORM, "confirm": "1", "expected_amount": "22.99"})

    assert response.status_code == 302 and response["Location"] == RECORDS
    invoice = InvoiceRequest.objects.get()
    assert (invoice.amount, invoice.submitted_by, invoice.taxpayer_id) == (
        Decimal("22.99"),
        alice,
        TAXPAYER_ID,
    )


def test_R70_confirming_without_a_shown_amount_only_previews(as_alice, premiums):
    response = as_alice.post(NEW, {**FORM, "confirm": "1"})
    assert response.status_code == 200 and response.context["quote"] is not None
    assert not InvoiceRequest.objects.exists()


def test_R70_when_the_amount_changed_the_new_one_is_shown_again(as_alice, premiums, shop):
    make_policy(shop, premium="1.00", issued_at=shanghai(2026, 6, 30, 12, 0))

    response = as_alice.post(NEW, {**FORM, "confirm": "1", "expected_amount": "22.99"})

    assert response.status_code == 200
    assert response.context["quote"].amount == Decimal("23.99")
    assert [m.level_tag for m in response.context["messages"]] == ["warning"]
    assert not InvoiceRequest.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"taxpayer_id": "91330106MA2GL0000J"}, "taxpayer_id"),  # bad check character
        ({"taxpayer_id": "91330106MA2GL000"}, "taxpayer_id"),  # too short
        ({"first_month": "2026-08", "last_month": "2026-08"}, "last_month"),  # the future
        ({"first_month": "2026-03", "last_month": "2026-04"}, None),  # nothing charged
        ({"first_month": "2026-13"}, "first_month"),  # not a month
        ({"invoice_type": "paper_special"}, "mailing_address"),  # paper without address
        ({"email": "nope"}, "email"),
    ],
)
def test_R70_each_bad_input_gets_a_clear_message_and_changes_nothing(
    as_alice, premiums, change, field
):
    for step in ("preview", "confirm"):
        response = as_alice.post(NEW, {**FORM, **change, step: "1", "expected_amount": "22.99"})

        assert response.status_code == 400
        form = response.context["form"]
        errors = form.errors.get(field) if field else form.non_field_errors()
        assert errors, form.errors
        assert 'class="error"' in response.content.decode() or "form-errors" in (
            response.content.decode()
        )
        assert response.context["quote"] is None
    assert not InvoiceRequest.objects.exists()


def test_R71_a_second_request_for_the_same_premiums_is_refused_on_the_page(
    as_alice, premiums, submit
):
    submit()
    response = as_alice.post(NEW, {**FORM, "preview": "1"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert InvoiceRequest.objects.count() == 1


def test_R70_the_paper_form_accepts_typed_months_and_mailing_details(as_alice, premiums):
    data = {**FORM, **PAPER, "first_month": "2026年5月", "last_month": "2026/6"}
    response = as_alice.post(NEW, {**data, "confirm": "1", "expected_amount": "22.99"})
    assert response.status_code == 302
    assert InvoiceRequest.objects.get().recipient == "李会计"


# --- R73: the merchant cancels ---


def test_R73_the_merchant_cancels_a_submitted_request(as_alice, premiums, submit):
    invoice = submit()
    response = as_alice.post(reverse("invoicing:cancel", args=[invoice.pk]))

    assert response.status_code == 302 and response["Location"] == RECORDS
    invoice.refresh_from_db()
    assert invoice.state == "cancelled"


def test_R73_cancelling_an_issued_request_is_refused_with_a_message(
    as_alice, premiums, submit, fiona
):
    invoice = issued_electronic(submit, fiona)
    response = as_alice.post(reverse("invoicing:cancel", args=[invoice.pk]), follow=True)

    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    invoice.refresh_from_db()
    assert invoice.state == "issued"


def test_R100_cancelling_another_shops_request_is_a_404(client, bob, premiums, submit):
    invoice = submit()
    client.force_login(bob)
    assert client.post(reverse("invoicing:cancel", args=[invoice.pk])).status_code == 404
    invoice.refresh_from_db()
    assert invoice.state == "submitted"


# --- R73/R102: the PDF, only for the shop's merchants and finance ---


def test_R73_the_shops_merchant_downloads_the_pdf(as_alice, premiums, submit, fiona):
    invoice = issued_electronic(submit, fiona)
    response = as_alice.get(reverse("invoicing:pdf", args=[invoice.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "invoice-26330000000012345678.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private")


def test_R101_finance_downloads_the_pdf(client, fiona, premiums, submit):
    invoice = issued_electronic(submit, fiona)
    client.force_login(fiona)
    assert client.get(reverse("invoicing:pdf", args=[invoice.pk])).status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "bob", "rita", "uma"])
def test_R100_R102_anyone_else_gets_a_404_for_the_pdf(
    client, request, premiums, submit, fiona, who
):
    invoice = issued_electronic(submit, fiona)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("invoicing:pdf", args=[invoice.pk])).status_code == 404


def test_R73_a_request_without_pdf_has_no_download(as_alice, premiums, submit):
    invoice = submit()
    assert as_alice.get(reverse("invoicing:pdf", args=[invoice.pk])).status_code == 404


def test_R102_the_pdf_has_no_public_media_url(client, premiums, submit, fiona):
    invoice = issued_electronic(submit, fiona)
    assert client.get("/media/" + invoice.invoice_pdf.name).status_code == 404
