"""The demo has invoice requests in every state, one of them overdue (issue 5)."""

import datetime as dt

import pytest
from django.utils import timezone

from demo.invoices import demo_pdf, seed_demo_invoices
from invoicing.models import InvoiceRequest, InvoiceState
from invoicing.validators import verify_pdf
from tests.invoicing.helpers import make_policy

pytestmark = pytest.mark.django_db


def test_the_demo_pdf_is_a_pdf():
    verify_pdf(demo_pdf(["hello (world)"]))


def test_the_demo_has_every_state_and_one_overdue(shop, alice, fiona):
    now = timezone.now()
    for hours in range(0, 40 * 24, 7):  # a premium every 7 hours over 40 days
        make_policy(shop, premium="2.50", issued_at=now - dt.timedelta(hours=hours))

    made = seed_demo_invoices(shop=shop, merchant=alice, finance=fiona, now=now, write=print)

    states = {i.state for i in InvoiceRequest.objects.all()}
    assert states == set(InvoiceState.values)
    assert len(made) == 7
    overdue = [i for i in InvoiceRequest.objects.all() if i.is_overdue]
    assert len(overdue) == 1 and overdue[0].state == "submitted"
    issued = InvoiceRequest.objects.filter(state="issued")
    assert {i.is_paper for i in issued} == {True, False}
    assert all(i.invoice_pdf for i in issued if not i.is_paper)
    assert seed_demo_invoices(shop=shop, merchant=alice, finance=fiona, now=now) == []


def test_a_shop_without_premiums_gets_no_demo_invoices(shop, alice, fiona):
    notes = []
    assert seed_demo_invoices(shop=shop, merchant=alice, finance=fiona, write=notes.append) == []
    assert notes
