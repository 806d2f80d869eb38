"""R71: a premium is on at most one live invoice, whatever the concurrency: two requests for
the same period at once give the premiums to exactly one (R73: one transition at a time).

PostgreSQL only (row locks); skipped, visibly, on SQLite.
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count

from invoicing import selectors, services
from invoicing.models import InvoiceLine, InvoiceRequest
from portal.audit import timeline
from tests.conftest import POSTGRES_RACE
from tests.enrollment.test_races import race
from tests.factories import MerchantFactory
from tests.invoicing.helpers import grant_invoicing_groups, issue, request_data

pytestmark = POSTGRES_RACE

D = dt.date
LOSER_CODES = {"already_requested", "taken_meanwhile"}


@pytest.fixture
def colleague(alice):
    """A second merchant user of alice's shop, requesting at the same moment."""
    return MerchantFactory(user__username="alice2@shop-a.cn", shop=alice.merchant.shop).user


def create(user, **overrides):
    return lambda: services.invoice_request_create(
        shop=user.merchant.shop, actor=user, **request_data(**overrides)
    )


def assert_each_premium_on_one_live_invoice():
    assert not (
        InvoiceLine.objects.filter(live=True)
        .values("policy")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )


def test_R71_two_requests_for_the_same_period_at_once_invoice_each_premium_once(
    premiums, alice, colleague, frozen
):
    results = race(create(alice), create(colleague))

    winners = [r for r in results if isinstance(r, InvoiceRequest)]
    losers = [r for r in results if isinstance(r, ValidationError)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].code in LOSER_CODES
    assert InvoiceRequest.objects.get().amount == Decimal("22.99")
    assert InvoiceLine.objects.filter(live=True).count() == 3
    assert_each_premium_on_one_live_invoice()


def test_R71_overlapping_periods_at_once_never_share_a_premium(premiums, alice, colleague, frozen):
    results = race(
        create(alice, last_month=D(2026, 5, 1)),  # May
        create(colleague, first_month=D(2026, 5, 1), last_month=D(2026, 7, 1)),  # May-July
    )

    made = [r for r in results if isinstance(r, InvoiceRequest)]
    assert made, results
    assert sum(r.amount for r in made) <= Decimal("24.32")
    assert_each_premium_on_one_live_invoice()
    assert InvoiceLine.objects.filter(live=True).count() == sum(r.policy_count for r in made)


def test_R71_the_database_holds_the_rule_even_without_the_shop_lock(
    premiums, alice, colleague, frozen, monkeypatch
):
    # Without the shop lock, and with both requests made to read the same free premiums
    # before either writes: the partial unique index on live lines lets one insert them;
    # the other fails cleanly, with its own message, and writes nothing.
    monkeypatch.setattr(services, "_lock_shop", lambda shop_id: None)
    both_have_read = threading.Barrier(2, timeout=10)
    invoiceable = selectors.invoiceable_policies

    class ReadThenWait:
        def __init__(self, **kwargs):
            self.rows = list(invoiceable(**kwargs).values_list("pk", "premium"))
            both_have_read.wait()

        def values_list(self, *fields):
            return self.rows

    monkeypatch.setattr(selectors, "invoiceable_policies", ReadThenWait)

    results = race(create(alice), create(colleague))

    losers = [r for r in results if isinstance(r, ValidationError)]
    assert len(losers) == 1 and losers[0].code == "taken_meanwhile", results
    assert InvoiceRequest.objects.count() == 1
    assert InvoiceLine.objects.count() == 3
    assert_each_premium_on_one_live_invoice()


@pytest.fixture
def finance(fiona):
    grant_invoicing_groups()
    return fiona


def test_R73_cancel_and_issue_at_once_make_exactly_one_transition(premiums, alice, finance, frozen):
    invoice = create(alice)()

    results = race(
        lambda: services.invoice_request_cancel(
            invoice_id=invoice.pk, shop=invoice.shop, actor=alice
        ),
        lambda: issue(invoice, finance),  # number 26330000000012345678, with its PDF
    )

    errors = [r for r in results if isinstance(r, ValidationError)]
    assert len(errors) == 1 and errors[0].code == "state", results
    invoice.refresh_from_db()
    assert invoice.state in ("cancelled", "issued")
    assert [e.state for e in timeline(invoice)] == ["submitted", invoice.state]
    live = InvoiceLine.objects.filter(live=True).count()
    assert live == (3 if invoice.state == "issued" else 0)
