"""`field__any=values` finds what `field__in=values` finds, in one parameter on PostgreSQL
(portal.lookups, issue 10)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollment.models import Merchant, Shop
from tests.factories import MerchantFactory, ShopFactory

pytestmark = pytest.mark.django_db


def test_any_finds_the_rows_in_finds():
    shops = ShopFactory.create_batch(4)
    wanted = [shops[0].pk, shops[2].pk, shops[3].pk + 1000]
    assert set(Shop.objects.filter(pk__any=wanted)) == set(Shop.objects.filter(pk__in=wanted))
    assert set(Shop.objects.filter(pk__any=wanted)) == {shops[0], shops[2]}


def test_any_over_a_foreign_key_column():
    merchants = MerchantFactory.create_batch(3)
    shop_ids = [merchants[0].shop_id, merchants[1].shop_id]
    assert set(Merchant.objects.filter(shop_id__any=shop_ids)) == set(merchants[:2])


def test_no_values_match_no_row():
    ShopFactory()
    assert list(Shop.objects.filter(pk__any=[])) == []


def test_many_values_are_one_array_parameter_on_postgresql():
    shop = ShopFactory()
    ids = [shop.pk, *range(10**6, 10**6 + 2_000)]
    with CaptureQueriesContext(connection) as queries:
        assert list(Shop.objects.filter(pk__any=ids)) == [shop]
    sql = queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql and sql.count("%s") == 0
    else:
        assert " IN (" in sql
