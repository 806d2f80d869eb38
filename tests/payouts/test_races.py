"""R114: a payout is never in two open batches, whatever the concurrency: two finance users
creating a batch at the same moment put each pending payout in exactly one; two results
for one payout at once record one (PostgreSQL only; skipped, visibly, on SQLite)."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count

from claims.models import PayoutState
from payouts import services
from payouts.models import PayoutBatch, PayoutItem
from portal.audit import timeline
from portal.groups import FINANCE
from tests.conftest import POSTGRES_RACE, _staff
from tests.enrollment.test_races import race

pytestmark = POSTGRES_RACE


@pytest.fixture
def felix(db):
    return _staff("felix", FINANCE)


def test_R114_two_batches_made_at_once_take_each_pending_payout_once(owed, fiona, felix):
    results = race(
        lambda: services.payout_batch_create(actor=fiona),
        lambda: services.payout_batch_create(actor=felix),
    )

    made = [r for r in results if isinstance(r, services.BatchCreated)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(made) == 1 and len(refused) == 1, results
    assert refused[0].code in {"empty", "conflict"}
    assert PayoutBatch.objects.count() == 1
    assert PayoutItem.objects.count() == len(owed)
    assert not PayoutItem.objects.values("payout").annotate(n=Count("id")).filter(n__gt=1)
    for payout in owed:
        assert [e.state for e in timeline(payout)] == [PayoutState.SUBMITTED]


def test_R114_two_opposite_results_at_once_record_exactly_one(owed, fiona):
    batch = services.payout_batch_create(actor=fiona).batch
    item = batch.items.first()

    def report(status):
        return lambda: services.payout_result_report(
            reference=item.reference,
            status=status,
            provider_reference=f"ALI-{status}",
            reason="账户冻结" if status == "failed" else "",
            at=batch.created_at,
        )

    results = race(report("settled"), report("failed"))

    assert sorted(type(r).__name__ for r in results) == ["ValidationError", "bool"], results
    item.refresh_from_db()
    assert item.result in {"settled", "failed"}
    assert [e.state for e in timeline(item.payout)] == [PayoutState.SUBMITTED, item.result]
