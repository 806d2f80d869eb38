"""Issue 10: two transactions adding to the same rollup rows at once lose no update and do
not deadlock (claims.rollups: INSERT … ON CONFLICT DO UPDATE SET x = x + EXCLUDED.x, keys
flushed in sorted order).

PostgreSQL only (row locks); skipped, visibly, on SQLite.
"""

import contextlib
import datetime as dt
import threading
from decimal import Decimal as D

from django.db import transaction

from claims import rollups
from claims.models import ShopDay
from portal.clock import SHANGHAI
from tests.conftest import POSTGRES_RACE
from tests.enrollment.test_races import race
from tests.factories import ShopFactory

pytestmark = POSTGRES_RACE

AT = dt.datetime(2026, 6, 1, 12, tzinfo=SHANGHAI)


def test_two_transactions_adding_to_a_new_shop_day_at_once_both_count(shop):
    both_added = threading.Barrier(2, timeout=1)

    def add(premium):
        def run():
            with transaction.atomic():
                rollups.record_policies_issued([(shop.pk, AT, premium)])
                # the second waits on the first's row lock, so it never reaches the barrier:
                # the first commits after the barrier's timeout, then the second adds to it
                with contextlib.suppress(threading.BrokenBarrierError):
                    both_added.wait()
            return "done"

        return run

    results = race(add(D("1.10")), add(D("2.25")))

    assert results == ["done", "done"]
    row = ShopDay.objects.get(shop=shop, day=AT.date())
    assert (row.policies, row.premiums) == (2, D("3.35"))


def test_many_concurrent_additions_to_one_hot_row_lose_nothing(shop):
    def add_many():
        for _ in range(40):
            with transaction.atomic():
                rollups.record_payouts([(shop.pk, AT, D("0.01"))])
        return "done"

    assert race(add_many, add_many, add_many) == ["done"] * 3

    row = ShopDay.objects.get(shop=shop, day=AT.date())
    assert (row.payouts, row.payouts_amount) == (120, D("1.20"))


def test_two_batches_touching_the_same_rows_in_opposite_orders_never_deadlock(shop):
    other = ShopFactory()
    keys = [
        (shop.pk, AT),
        (other.pk, AT + dt.timedelta(days=1)),
        (shop.pk, AT - dt.timedelta(days=3)),
    ]

    def batch(order):
        def run():
            for _ in range(15):
                with transaction.atomic(), rollups.deferred():
                    for shop_id, at in order:
                        rollups.record_breaches([(shop_id, at)])
            return "done"

        return run

    results = race(batch(keys), batch(list(reversed(keys))))

    assert results == ["done", "done"]
    assert sorted(ShopDay.objects.values_list("breaches", flat=True)) == [30, 30, 30]
