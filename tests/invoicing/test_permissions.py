"""R40, R100, R101: each invoice transition is fired only by whom its model declares.

Finance issues, ships and rejects (`invoicing.process_invoice`); a merchant user of the
request's own shop cancels it. Anyone else calling the service gets "forbidden" and changes
nothing: no state, no number, no stored PDF, no audit row, premiums still on the request.
"""

import pytest
from django.core.exceptions import ValidationError

from invoicing import services
from invoicing.models import InvoiceRequest
from portal.audit import timeline
from tests.factories import MerchantFactory
from tests.invoicing.helpers import PAPER, issue, ship

pytestmark = pytest.mark.django_db

NOT_FINANCE = ["alice", "uma", "rita"]  # the shop's own merchant, other staff


def snapshot(invoice) -> tuple:
    fresh = InvoiceRequest.objects.get(pk=invoice.pk)
    return (
        fresh.state,
        fresh.invoice_number,
        fresh.invoice_pdf.name,
        fresh.tracking_number,
        fresh.closed_at,
        fresh.lines.filter(live=True).count(),
        len(timeline(fresh)),
    )


def assert_forbidden(call, invoice, media):
    before = snapshot(invoice)
    with pytest.raises(ValidationError) as error:
        call()
    assert error.value.code == "forbidden"
    assert snapshot(invoice) == before
    assert list(media.rglob("*.pdf")) == []


@pytest.fixture
def electronic(premiums, submit):
    return submit()


@pytest.fixture
def issued_paper(premiums, submit, fiona):
    return issue(submit(**PAPER), fiona)


@pytest.mark.parametrize("persona", NOT_FINANCE)
def test_R101_only_finance_may_issue_an_invoice(request, electronic, media, persona):
    actor = request.getfixturevalue(persona)
    assert_forbidden(
        lambda: issue(electronic, actor),  # with its PDF
        electronic,
        media,
    )


@pytest.mark.parametrize("persona", NOT_FINANCE)
def test_R101_only_finance_may_ship_a_paper_invoice(request, issued_paper, media, persona):
    actor = request.getfixturevalue(persona)
    assert_forbidden(
        lambda: ship(issued_paper, actor),
        issued_paper,
        media,
    )


@pytest.mark.parametrize("persona", NOT_FINANCE)
def test_R101_only_finance_may_reject_an_invoice_request(request, electronic, media, persona):
    actor = request.getfixturevalue(persona)
    assert_forbidden(
        lambda: services.invoice_reject(invoice_id=electronic.pk, actor=actor, reason="x"),
        electronic,
        media,
    )


@pytest.mark.parametrize("persona", ["bob", "fiona", "uma"])
def test_R100_only_a_merchant_of_the_shop_may_cancel_its_invoice_request(
    request, electronic, media, persona
):
    # Another shop's merchant (naming the right shop, so the lookup finds the request) and
    # insurer staff: the request is the shop's to withdraw (R73).
    actor = request.getfixturevalue(persona)
    assert_forbidden(
        lambda: services.invoice_request_cancel(
            invoice_id=electronic.pk, shop=electronic.shop, actor=actor
        ),
        electronic,
        media,
    )


def test_R100_another_merchant_user_of_the_shop_may_cancel_and_is_named_in_the_audit(
    electronic,
):
    colleague = MerchantFactory(user__username="alice2@shop-a.cn", shop=electronic.shop).user

    services.invoice_request_cancel(invoice_id=electronic.pk, shop=electronic.shop, actor=colleague)

    electronic.refresh_from_db()
    assert electronic.state == "cancelled"
    assert not electronic.lines.filter(live=True).exists()  # R71: premiums released
    assert timeline(electronic).last().by == colleague
