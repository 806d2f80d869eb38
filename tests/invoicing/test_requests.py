"""R70-R72: requesting an invoice: the period, the amount of the premiums not yet on a live
invoice, the stored deadline, and every bad input refused with nothing written."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from invoicing import services
from invoicing.models import InvoiceLine, InvoiceRequest
from portal.audit import timeline
from tests.invoicing.helpers import PAPER, make_policy, request_data, shanghai
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db

D = dt.date


def nothing_written():
    return not InvoiceRequest.objects.exists() and not InvoiceLine.objects.exists()


def test_R71_the_quote_is_the_sum_of_the_periods_premiums(premiums, alice, frozen):
    quote = services.invoice_quote(
        shop=alice.merchant.shop, first_month=D(2026, 5, 1), last_month=D(2026, 6, 1)
    )
    assert quote.amount == Decimal("22.99")  # 2.99 + 15.00 + 5.00; July's 1.33 is outside
    assert quote.policy_count == 3
    assert (quote.period_start, quote.period_end) == (D(2026, 5, 1), D(2026, 6, 30))


def test_R2_R71_months_are_shanghai_months(premiums, alice, frozen):
    shop = alice.merchant.shop
    may = services.invoice_quote(shop=shop, first_month=D(2026, 5, 1), last_month=D(2026, 5, 1))
    june = services.invoice_quote(shop=shop, first_month=D(2026, 6, 1), last_month=D(2026, 6, 1))

    assert may.amount == Decimal("17.99")  # includes 23:30 on 31 May in Shanghai
    assert june.amount == Decimal("5.00")  # 00:10 on 1 June in Shanghai (31 May in UTC)


def test_R70_R71_R72_a_request_freezes_amount_premiums_and_deadline(premiums, submit, alice):
    invoice = submit()

    assert invoice.state == "submitted"
    assert invoice.amount == Decimal("22.99") and invoice.policy_count == 3
    assert set(invoice.lines.values_list("policy_id", flat=True)) == {p.pk for p in premiums[:3]}
    assert all(line.live for line in invoice.lines.all())
    assert invoice.submitted_at == shanghai(2026, 7, 10, 10, 0)
    # Fri 10 Jul 2026: Mon 13 (1) .. Fri 17 (5), Mon 20 (6), to its last instant in Shanghai.
    assert invoice.deadline_at == shanghai(2026, 7, 20, 23, 59, 59, 999999)
    assert invoice.taxpayer_id == "91330106MA2GL0000K"
    (entry,) = timeline(invoice)
    assert (entry.state, entry.transition, entry.by) == ("submitted", "submit", alice)


def test_R71_premiums_from_the_event_api_are_invoiced(client, shop, alice, frozen):
    # 199.00 x 1.50% = 2.985 -> 2.99 (R22); 1000.00 x 1.50% = 15.00.
    placed = shanghai(2026, 6, 3, 10, 0)
    ev.send(
        client,
        ev.order_placed("O1", shop.platform_shop_id, at=placed),
        ev.order_shipped("O1", at=placed + dt.timedelta(hours=3)),
        ev.order_placed(
            "O2",
            shop.platform_shop_id,
            at=placed,
            lines=[
                {
                    "line_id": "O2-1",
                    "sku": "S",
                    "title": "电饭煲",
                    "quantity": 1,
                    "paid_amount": "1000.00",
                }
            ],
        ),
        ev.order_shipped("O2", at=placed + dt.timedelta(hours=4)),
        ev.order_placed("O3", shop.platform_shop_id, at=placed),  # not shipped: no premium
    )
    invoice = services.invoice_request_create(
        shop=shop, actor=alice, **request_data(first_month=D(2026, 6, 1))
    )
    assert invoice.amount == Decimal("17.99") and invoice.policy_count == 2


def test_R1_R71_the_amount_is_exact_on_every_database(shop, submit):
    for day in range(1, 121):
        make_policy(
            shop, premium="2.99", issued_at=shanghai(2026, 5, 1, 12) + dt.timedelta(hours=day)
        )
    invoice = submit(last_month=D(2026, 5, 1))

    assert invoice.amount == Decimal("358.80")  # SQLite's float SUM would say 358.800000000001
    invoice.refresh_from_db()
    assert invoice.amount == Decimal("358.80")


def test_R71_a_second_request_for_the_same_premiums_is_refused(premiums, submit):
    first = submit()

    with pytest.raises(ValidationError) as caught:
        submit(first_month=D(2026, 6, 1))
    assert caught.value.code == "already_requested"
    assert InvoiceRequest.objects.get() == first
    assert InvoiceLine.objects.count() == 3


def test_R71_only_the_premiums_not_yet_requested_go_on_a_later_request(premiums, submit):
    submit(last_month=D(2026, 5, 1))

    later = submit()  # May-June: May's premiums are on the first request already
    assert later.amount == Decimal("5.00") and later.policy_count == 1


def test_R70_the_current_month_invoices_the_premiums_charged_so_far(premiums, submit, shop):
    july = submit(first_month=D(2026, 7, 1), last_month=D(2026, 7, 1))
    assert july.amount == Decimal("1.33")

    make_policy(shop, premium="4.00", issued_at=shanghai(2026, 7, 10, 9, 0))
    assert submit(first_month=D(2026, 7, 1), last_month=D(2026, 7, 1)).amount == Decimal("4.00")


def test_R71_another_shops_premiums_are_never_included(premiums, other_shop_premium, submit):
    assert submit().amount == Decimal("22.99")


def test_R70_a_period_with_no_premium_is_refused(premiums, submit):
    with pytest.raises(ValidationError) as caught:
        submit(first_month=D(2026, 3, 1), last_month=D(2026, 4, 1))
    assert caught.value.code == "nothing_charged"
    assert "2026-03 – 2026-04" in caught.value.messages[0]
    assert nothing_written()


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        (D(2026, 8, 1), D(2026, 8, 1), "last_month"),  # next month
        (D(2026, 6, 1), D(2026, 8, 1), "last_month"),  # ends in the future
        (D(2026, 6, 1), D(2026, 5, 1), "last_month"),  # reversed
        (D(2025, 6, 1), D(2026, 6, 1), "first_month"),  # 13 months
    ],
)
def test_R70_a_bad_period_is_refused(premiums, submit, first, last, field):
    with pytest.raises(ValidationError) as caught:
        submit(first_month=first, last_month=last)
    assert set(caught.value.message_dict) == {field}
    assert nothing_written()


def test_R70_a_future_period_names_the_last_month_allowed(premiums, submit):
    with pytest.raises(ValidationError) as caught:
        submit(first_month=D(2026, 8, 1), last_month=D(2026, 9, 1))
    assert "2026-07" in caught.value.message_dict["last_month"][0]


@pytest.mark.parametrize("missing", ["mailing_address", "recipient", "phone"])
def test_R70_a_paper_invoice_without_its_address_is_refused(premiums, submit, missing):
    with pytest.raises(ValidationError) as caught:
        submit(**{**PAPER, missing: "  "})
    assert caught.value.message_dict == {missing: [str(services.ADDRESS_REQUIRED)]}
    assert nothing_written()


def test_R70_a_paper_invoice_keeps_its_address(premiums, submit):
    invoice = submit(**PAPER)
    assert (invoice.recipient, invoice.phone) == ("李会计", "0571-88886666")


def test_R70_an_electronic_invoice_stores_no_address(premiums, submit):
    invoice = submit(mailing_address="somewhere", recipient="x", phone="13800138000")
    assert (invoice.mailing_address, invoice.recipient, invoice.phone) == ("", "", "")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("taxpayer_id", "91330106MA2GL0000J"),  # wrong check character
        ("email", "not-an-email"),
        ("title", ""),
    ],
)
def test_R70_bad_invoice_details_are_refused(premiums, submit, field, value):
    with pytest.raises(ValidationError) as caught:
        submit(**{field: value})
    assert field in caught.value.message_dict
    assert nothing_written()


def test_R70_a_bad_phone_on_a_paper_invoice_is_refused(premiums, submit):
    with pytest.raises(ValidationError) as caught:
        submit(**{**PAPER, "phone": "12345"})
    assert "phone" in caught.value.message_dict
    assert nothing_written()


def test_R70_the_amount_shown_must_still_hold_when_confirming(premiums, submit, shop):
    make_policy(shop, premium="1.00", issued_at=shanghai(2026, 6, 30, 12, 0))  # after the quote

    with pytest.raises(ValidationError) as caught:
        submit(expected_amount=Decimal("22.99"))
    assert caught.value.code == "amount_changed"
    assert "23.99" in caught.value.messages[0]
    assert nothing_written()
    assert submit(expected_amount=Decimal("23.99")).amount == Decimal("23.99")


def test_R71_a_premium_has_at_most_one_live_line_in_the_database(premiums, submit):
    invoice = submit()
    other = InvoiceRequest.objects.create(
        shop=invoice.shop,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        invoice_type="electronic_general",
        title="x",
        taxpayer_id=invoice.taxpayer_id,
        email="x@example.com",
        amount=Decimal("2.99"),
        policy_count=1,
        submitted_at=invoice.submitted_at,
        deadline_at=invoice.deadline_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceLine.objects.create(invoice=other, policy=premiums[0], premium=Decimal("2.99"))
    # A released line does not count: the premium may go on a new live invoice.
    InvoiceLine.objects.filter(invoice=invoice).update(live=False)
    InvoiceLine.objects.create(invoice=other, policy=premiums[0], premium=Decimal("2.99"))
