"""Two batches at once carrying the same event ids: each id is applied exactly once (R82),
whichever strategy of platform_api.batch answers (set-based, savepoints, one transaction
per event), and nothing is half-applied (R83). PostgreSQL only (row locks)."""

import pytest
from django.test import Client

from claims.models import Claim, Order, Payout, Policy, RefundRequest
from platform_api.models import PlatformEvent
from tests.conftest import POSTGRES_RACE
from tests.enrollment.test_races import race
from tests.platform_api import events as ev

pytestmark = POSTGRES_RACE


def _history(orders: list[str], sid: str) -> list[dict]:
    """Each order placed, shipped, received and refunded (the ids fixed per event)."""
    stages = (
        lambda o: ev.order_placed(o, sid, buyer=f"{o}b", tier=5),
        ev.order_shipped,
        ev.order_received,
        lambda o: ev.refund_requested(f"{o}R", o),
    )
    events = []
    for stage, build in enumerate(stages):
        for o in orders:
            events.append({**build(o), "id": f"{o}-s{stage}"})
    return events


@pytest.mark.parametrize("overlap", ["same order", "reversed order"])
def test_R82_two_overlapping_batches_at_once_apply_each_event_once(shop, overlap):
    sid = shop.platform_shop_id
    first = _history([f"A{i}" for i in range(0, 30)], sid)
    second = _history([f"A{i}" for i in range(15, 45)], sid)
    if overlap == "reversed order":  # the locks of the shared rows taken in the other order
        second = [e for stage in range(4) for e in reversed(second[stage * 30 : stage * 30 + 30])]

    results = race(lambda: ev.send(Client(), *first), lambda: ev.send(Client(), *second))

    assert not [r for r in results if isinstance(r, Exception)], results
    answers: dict[str, list[str]] = {}
    for batch in results:
        for result in batch:
            answers.setdefault(result["id"], []).append(result["status"])
    shared = {e["id"] for e in first} & {e["id"] for e in second}
    assert len(answers) == 45 * 4 and len(shared) == 15 * 4
    for event_id, statuses in answers.items():
        # R82: applied once; the other request's copy is its duplicate
        expected = ["applied", "duplicate"] if event_id in shared else ["applied"]
        assert sorted(statuses) == expected, (event_id, statuses)
    assert PlatformEvent.objects.count() == 45 * 4
    # R83: every event whole, once
    assert Order.objects.count() == 45 and Policy.objects.count() == 45
    assert RefundRequest.objects.count() == 45
    assert Claim.objects.count() == 45  # tier 5, 199.00: each fast-tracked (R39)
    assert Payout.objects.count() == 45
    # sent again afterwards, every event is a duplicate
    for batch in (first, second):
        assert {r["status"] for r in ev.send(Client(), *batch)} == {"duplicate"}
