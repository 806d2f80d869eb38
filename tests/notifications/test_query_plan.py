"""The navigation's unread count reads the partial index notification_unread_idx, not the
table, however many notifications the shops hold (issue 11: at most one indexed query a
page). PostgreSQL only (skipped, visibly, on SQLite): 200,000 notifications of 50 shops,
most read, ANALYZEd, then EXPLAIN of the very query the page runs."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollment.models import Shop
from notifications import selectors
from tests.factories import ShopFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="query plans are PostgreSQL's; run with DATABASE_URL=postgres://...",
    ),
]


def nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def test_the_unread_count_is_an_index_scan_of_the_unread_index():
    shops = [ShopFactory() for _ in range(50)]
    first = min(s.pk for s in shops)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO notifications_notification (shop_id, kind, created_at, read_at) "
            "SELECT %s + (n %% 50), 'paid', now() - n * interval '1 minute', "
            "CASE WHEN (n / 50) %% 40 = 0 THEN NULL ELSE now() END "
            "FROM generate_series(1, 200000) n",
            [first],
        )
        cursor.execute("ANALYZE notifications_notification")
    shop = Shop.objects.get(pk=first + 7)

    with CaptureQueriesContext(connection) as captured:
        count = selectors.unread_count(shop_id=shop.pk)
    assert count == 100  # 200,000 / 50 shops / 1 in 40 unread
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {query['sql']}")
        raw = cursor.fetchone()[0]
    plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
    every = list(nodes(plan))
    assert not [n for n in every if n["Node Type"] == "Seq Scan"], plan
    assert {n.get("Index Name") for n in every} >= {"notification_unread_idx"}, plan
