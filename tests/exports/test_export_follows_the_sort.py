"""Issue 11: a list's CSV export lists its rows in the order the list shows them, the sort the
merchant chose (newest, oldest, largest or smallest amount first): policies (R24), refunds
(R44) and payouts (R35), streamed in the request and prepared in the background alike."""

import datetime as dt

import pytest
from django.urls import reverse

from claims.models import Claim, Payout, Policy, RefundRequest
from claims.services import decisions
from tests.exports.test_background_exports import (
    direct,
    download,
    export_in_background,
    rows_of,
)
from tests.factories import make_orders
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db

SORTS = ["", "oldest", "amount_desc", "amount_asc"]
HOUR = dt.timedelta(hours=1)

# list name -> (export name, the CSV column of the row's id, the id's lookup on the model)
LISTS = {
    "claims:policies": ("claims:policies_export", 0, "policy_no", Policy),
    "claims:refunds": ("claims:refunds_export", 0, "platform_refund_id", RefundRequest),
    "claims:payouts": ("claims:payouts_export", 1, "claim__refund__platform_refund_id", Payout),
}


def _scramble(model, shop, time_field, amount_field):
    """Distinct times and amounts, neither in the order of the ids nor in each other's."""
    for i, pk in enumerate(model.objects.filter(shop=shop).order_by("id").values_list("pk")):
        model.objects.filter(pk=pk[0]).update(
            **{time_field: ev.T0 + ((i * 3) % 10) * HOUR, amount_field: f"{(i * 7) % 10 + 1}.25"}
        )


@pytest.fixture
def lists(client, shop, rita):
    """Ten policies and refunds of alice's shop, four of the refunds paid (payouts)."""
    make_orders(client, shop, 10)
    for claim in Claim.objects.filter(kind="refund_only"):
        decisions.claim_approve(claim_id=claim.pk, actor=rita)
    assert Payout.objects.filter(shop=shop).count() == 4
    _scramble(Policy, shop, "issued_at", "premium")
    _scramble(RefundRequest, shop, "requested_at", "amount")
    _scramble(Payout, shop, "paid_at", "amount")
    return shop


def listed(merchant, name: str, sort: str) -> list[int]:
    """The ids of the list page's rows, in its order (one page: fewer than PER_PAGE rows)."""
    page = merchant.get(reverse(name), {"sort": sort} if sort else {}).context["page"]
    assert not page.next_url
    return [row.pk for row in page]


def exported(data: bytes, name: str, shop) -> list[int]:
    _export, column, lookup, model = LISTS[name]
    ids = [row[column] for row in rows_of(data)[1:]]
    pks = dict(model.objects.filter(shop=shop).values_list(lookup, "pk"))
    return [pks[i] for i in ids]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("name", LISTS)
def test_the_streamed_export_is_in_the_lists_order(merchant, lists, settings, name, sort):
    url = reverse(LISTS[name][0])

    data = direct(merchant, url, {"sort": sort} if sort else {}, settings)

    order = listed(merchant, name, sort)
    assert exported(data, name, lists) == order
    assert len(order) == (4 if name == "claims:payouts" else 10)


@pytest.mark.parametrize("sort", ["oldest", "amount_desc", "amount_asc"])
@pytest.mark.parametrize("name", LISTS)
def test_the_background_export_is_in_the_lists_order(
    merchant, lists, settings, django_capture_on_commit_callbacks, name, sort
):
    settings.CSV_EXPORT_BACKGROUND_ROWS = 3
    url = reverse(LISTS[name][0])

    export = export_in_background(merchant, url, {"sort": sort}, django_capture_on_commit_callbacks)

    data = download(merchant, export)
    assert export.params == {"sort": sort}
    assert exported(data, name, lists) == listed(merchant, name, sort)
    assert data == direct(merchant, url, {"sort": sort}, settings)


def test_the_sorts_give_different_orders(merchant, lists):
    """The scenario can tell the sorts apart (else the tests above could not fail)."""
    for name in LISTS:
        orders = [tuple(listed(merchant, name, sort)) for sort in SORTS]
        assert len(set(orders)) == len(SORTS), name
