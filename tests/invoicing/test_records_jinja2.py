"""The invoice records render with Jinja2 (issue 10) and show what the Django template
showed: period, type, amount, deadline, status with the cancel button, rejection reason,
invoice number with its PDF and the tracking number, in both languages, escaped (R3, R74)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from invoicing import services
from invoicing.forms import InvoiceFilterForm
from tests.claims.same_page import SCRIPT, assert_escaped, django_templates_page, normal
from tests.invoicing.helpers import PAPER, issue, ship

pytestmark = pytest.mark.django_db

RECORDS = reverse("invoicing:records")


@pytest.fixture
def four_requests(alice, premiums, submit, fiona):
    """May rejected, June issued as an electronic PDF, July on paper and mailed; then May
    again, submitted (the one with a cancel button)."""
    may, june, july = dt.date(2026, 5, 1), dt.date(2026, 6, 1), dt.date(2026, 7, 1)
    rejected = submit(first_month=may, last_month=may, expected_amount=Decimal("17.99"))
    services.invoice_reject(invoice_id=rejected.pk, actor=fiona, reason=f"抬头有误 {SCRIPT}")
    issue(submit(first_month=june, last_month=june, expected_amount=Decimal("5.00")), fiona)
    paper = submit(first_month=july, last_month=july, expected_amount=Decimal("1.33"), **PAPER)
    ship(issue(paper, fiona, number="26330000000012345679"), fiona)
    submit(first_month=may, last_month=may, expected_amount=Decimal("17.99"))


def _both(client, alice, params=None, language="zh-hans"):
    client.force_login(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(RECORDS, params or {})
    assert response.status_code == 200
    django_page = django_templates_page(  # the form with Django's default renderer
        response,
        "invoicing/records.html",
        ("invoices", "page"),
        form=InvoiceFilterForm(params or {}),
    )
    return response.content.decode(), django_page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_jinja2_records_are_the_django_templates_page(client, alice, four_requests, language):
    body, django_page = _both(client, alice, language=language)

    assert body.count('data-testid="invoice-row"') == 4
    assert body.count('data-testid="cancel-invoice"') == 1
    assert 'data-testid="invoice-pdf"' in body and "SF1400000000001" in body
    assert body.count('name="csrfmiddlewaretoken"') == 3  # language, log out, cancel
    assert normal(body) == normal(django_page)


def test_the_jinja2_records_escape_what_they_show(client, alice, four_requests):
    body, django_page = _both(client, alice)

    assert_escaped(body)
    assert normal(body) == normal(django_page)


@pytest.mark.parametrize("params", [{"state": "foo"}, {"state": "cancelled"}])
def test_the_jinja2_records_with_a_bad_or_an_empty_filter(client, alice, four_requests, params):
    body, django_page = _both(client, alice, params)

    assert 'data-testid="no-invoices"' in body or 'class="error"' in body
    assert normal(body) == normal(django_page)
