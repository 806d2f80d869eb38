"""Policy issuance and claim intake are the hot path: a batch costs a bounded number of
queries per event, not a growing one (issue: Speed)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import order_story
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db


def queries_for(client, events):
    with CaptureQueriesContext(connection) as captured:
        ev.send(client, *events)
    return len(captured.captured_queries)


def batch(prefix, n, shop):
    events = []
    for i in range(n):
        order = f"{prefix}{i}"
        events += order_story(
            order, shop.platform_shop_id, buyer=f"{prefix}b{i}", refund_id=f"{prefix}R{i}"
        )
    return events


def test_the_queries_per_event_do_not_grow_with_the_batch(client, shop):
    small = queries_for(client, batch("A", 5, shop))
    large = queries_for(client, batch("B", 25, shop))

    per_event_small = small / 20
    per_event_large = large / 100
    assert per_event_large <= per_event_small  # fixed per-batch costs amortise, nothing grows
    print(f"queries per event: {per_event_small:.1f} (20 events), {per_event_large:.1f} (100)")
    assert per_event_large <= 20, per_event_large
