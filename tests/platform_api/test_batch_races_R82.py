"""Two batches at once carrying the same event ids: each id is applied exactly once (R82),
whichever strategy of platform_api.batch answers (set-based, savepoints, one transaction
per event), and nothing is half-applied (R83). PostgreSQL only (row locks)."""

import pytest
from django.test import Client

from claims.models import Claim, Order, Policy, RefundRequest
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
    applied = {i for i, statuses in answers.items() if statuses.count("applied") == 1}
    assert len(answers) == 45 * 4
    for event_id, statuses in answers.items():
        # R82: once applied; a copy is a duplicate, or rejected as a conflict to resend,
        # never applied twice
        assert statuses.count("applied") <= 1, (event_id, statuses)
    assert PlatformEvent.objects.filter(event_id__in=answers).count() == len(applied)
    # R83: what is applied is whole, what is not left no trace
    placed = {i[: -len("-s0")] for i in applied if i.endswith("-s0")}
    assert set(Order.objects.values_list("platform_order_id", flat=True)) == placed
    shipped = {i[: -len("-s1")] for i in applied if i.endswith("-s1")}
    assert set(Policy.objects.values_list("order__platform_order_id", flat=True)) == shipped
    refunds = {i[: -len("-s3")] + "R" for i in applied if i.endswith("-s3")}
    assert set(RefundRequest.objects.values_list("platform_refund_id", flat=True)) == refunds
    assert Claim.objects.count() <= len(refunds)
    # resending both batches afterwards applies whatever a conflict turned away, once
    for batch in (first, second):
        for result in ev.send(Client(), *batch):
            assert result["status"] in ("applied", "duplicate"), result
    assert PlatformEvent.objects.count() == 45 * 4
    assert Order.objects.count() == 45 and Policy.objects.count() == 45
    assert RefundRequest.objects.count() == 45
