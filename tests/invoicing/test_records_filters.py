"""Issue 11, point 2 on the invoice records (R74): filtered by status, sorted by time or
amount, with the total; a bad status is said beside its field and the sort still applies."""

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from invoicing import services

pytestmark = pytest.mark.django_db

RECORDS = reverse("invoicing:records")


@pytest.fixture
def two_requests(alice, premiums, submit, fiona):
    """May alone (2.99 + 15.00 = 17.99), cancelled; then May-June (22.99)."""
    may = dt.date(2026, 5, 1)
    first = submit(first_month=may, last_month=may, expected_amount=Decimal("17.99"))
    services.invoice_request_cancel(invoice_id=first.pk, shop=alice.merchant.shop, actor=alice)
    second = submit(expected_amount=Decimal("22.99"))
    return first, second


def _signed_in(client, alice, language="en"):
    client.force_login(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_R74_the_records_filter_by_status_and_show_the_total(client, alice, two_requests):
    first, second = two_requests
    client = _signed_in(client, alice)

    everything = client.get(RECORDS)
    cancelled = client.get(RECORDS, {"state": "cancelled"})

    assert [i.pk for i in everything.context["invoices"]] == [second.pk, first.pk]
    assert 'data-testid="list-total">2 in total</p>' in everything.content.decode()
    assert [i.pk for i in cancelled.context["invoices"]] == [first.pk]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("zh-hans", "选择一个有效的选项。 foo 不在可用的选项中。"),
        ("en", "Select a valid choice. foo is not one of the available choices."),
    ],
)
def test_R74_a_bad_status_is_said_and_the_sort_still_applies(
    client, alice, two_requests, language, said
):
    first, second = two_requests
    client = _signed_in(client, alice, language)

    response = client.get(RECORDS, {"state": "foo", "sort": "amount_asc"})

    assert [i.pk for i in response.context["invoices"]] == [first.pk, second.pk]  # 17.99 first
    body = response.content.decode()
    assert said in html.unescape(body.split('id="id_state_error"', 1)[1].split("</p>")[0])
