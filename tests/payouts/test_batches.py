"""R114/R115: a payout batch from export to settlement, reconciled to the fen."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from claims import rollups
from claims.models import Payout, PayoutState
from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from payouts import selectors, services
from payouts.files import TRANSFER_COLUMNS, transfer_file
from payouts.models import BatchState, PayoutBatch, PayoutItem
from portal.audit import timeline
from portal.clock import today
from tests.payouts.helpers import read_transfer_file, result_file, results_for, snapshot

pytestmark = pytest.mark.django_db

TOTAL_OWED = Decimal("200.02")  # 33.33 + 66.67 + 100.01 + 0.01


def export(batch) -> list[dict]:
    items = batch.items.select_related("payout__claim__refund").order_by("id")
    return read_transfer_file(transfer_file(items))


def reconcile():
    day = today()
    return selectors.payout_reconciliation(first=day.replace(day=1), last=day)


def assert_reconciled(lines, total):
    assert all(line.reconciled for line in lines), [(line.shop, line.difference) for line in lines]
    assert total.reconciled and total.owed == TOTAL_OWED
    assert total.accounted == TOTAL_OWED


def test_R114_a_batch_submits_every_pending_payout_to_the_payee_on_file(owed, fiona):
    created = services.payout_batch_create(actor=fiona)

    batch = created.batch
    assert (batch.payouts, batch.total, batch.state) == (4, TOTAL_OWED, BatchState.OPEN)
    assert created.skipped == []
    assert set(Payout.objects.values_list("state", flat=True)) == {PayoutState.SUBMITTED}
    bob_item = PayoutItem.objects.get(amount=Decimal("0.01"))
    assert (bob_item.payee_account, bob_item.payee_name) == ("bob@shop-b.cn", "乙店电器")
    entry = timeline(bob_item.payout).last()
    assert (entry.source_state, entry.state, entry.by) == ("pending", "submitted", fiona)


def test_R114_the_bulk_transfer_file_has_one_row_per_payout(owed, fiona):
    batch = services.payout_batch_create(actor=fiona).batch

    rows = export(batch)

    assert list(rows[0]) == TRANSFER_COLUMNS
    assert sorted(Decimal(r["amount"]) for r in rows) == [p.amount for p in owed]
    by_reference = {r["reference"]: r for r in rows}
    for item in batch.items.select_related("payout__claim__refund"):
        row = by_reference[item.reference]
        assert (row["payee_account"], row["payee_name"]) == (item.payee_account, item.payee_name)
        assert item.payout.claim.refund.platform_refund_id in row["memo"]


def test_R114_a_shop_without_an_account_name_stays_pending_and_is_reported(owed, fiona, bob):
    Enrollment.objects.filter(shop=bob.merchant.shop).update(alipay_name="")

    created = services.payout_batch_create(actor=fiona)

    assert created.batch.payouts == 3
    assert [p.amount for p in created.skipped] == [Decimal("0.01")]
    assert Payout.objects.get(amount=Decimal("0.01")).state == PayoutState.PENDING


def test_R114_without_pending_payouts_no_batch_is_made(owed, fiona):
    services.payout_batch_create(actor=fiona)

    with pytest.raises(ValidationError) as error:
        services.payout_batch_create(actor=fiona)

    assert error.value.code == "empty"
    assert PayoutBatch.objects.count() == 1


def test_R114_the_database_refuses_a_payout_in_two_open_batches(owed, fiona):
    batch = services.payout_batch_create(actor=fiona).batch
    item = batch.items.first()

    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutItem.objects.create(
            batch=batch,
            payout=item.payout,
            reference="WP-again",
            payee_account=item.payee_account,
            payee_name=item.payee_name,
            amount=item.amount,
        )


def test_R114_R115_a_round_trip_with_one_failure_reconciles_to_the_fen(owed, fiona, uma, bob):
    batch = services.payout_batch_create(actor=fiona).batch
    assert_reconciled(*reconcile())
    rows = export(batch)
    bobs = next(r for r in rows if r["amount"] == "0.01")["reference"]

    summary = services.payout_batch_import_results(
        batch_id=batch.pk, actor=fiona, content=results_for(rows, failed=[bobs])
    )

    assert (summary.settled, summary.failed, summary.unchanged) == (3, 1, 0)
    lines, total = reconcile()
    assert_reconciled(lines, total)
    assert total.by_state[PayoutState.SETTLED] == Decimal("200.01")
    assert total.by_state[PayoutState.FAILED] == Decimal("0.01")
    assert PayoutBatch.objects.get().state == BatchState.CLOSED
    failed = Payout.objects.get(state=PayoutState.FAILED)
    assert (failed.failure_reason, failed.provider_reference) == ("收款账户不存在", "ALI-F3")
    assert failed.settled_at is None

    # resubmitted once the underwriter corrected the account, then settled by an event
    with pytest.raises(ValidationError) as unchanged:
        services.payout_resubmit(payout_id=failed.pk, actor=fiona)
    assert unchanged.value.code == "unchanged"
    enrollment = Enrollment.objects.get(shop=bob.merchant.shop)
    enrollment_services.enrollment_payout_account_change(
        enrollment_id=enrollment.pk, actor=uma, alipay_account="13900139000", alipay_name="乙店"
    )
    services.payout_resubmit(payout_id=failed.pk, actor=fiona)
    assert_reconciled(*reconcile())
    second = services.payout_batch_create(actor=fiona).batch
    (row,) = export(second)
    assert (row["payee_account"], row["payee_name"], row["amount"]) == (
        "13900139000",
        "乙店",
        "0.01",
    )
    assert row["reference"] != bobs
    services.payout_result_report(
        reference=row["reference"],
        status="settled",
        provider_reference="ALI-9",
        at=second.created_at,
    )

    lines, total = reconcile()
    assert_reconciled(lines, total)
    assert total.by_state[PayoutState.SETTLED] == TOTAL_OWED
    assert {line.shop.name: line.by_state[PayoutState.SETTLED] for line in lines} == {
        "甲店": Decimal("200.01"),
        "乙店": Decimal("0.01"),
    }
    assert [e.state for e in timeline(failed)] == [
        "submitted",
        "failed",
        "pending",
        "submitted",
        "settled",
    ]
    assert rollups.current() == rollups.recount()  # the per-shop per-day payout totals


def test_R114_importing_the_same_result_file_twice_changes_nothing(owed, fiona):
    batch = services.payout_batch_create(actor=fiona).batch
    rows = export(batch)
    content = results_for(rows, failed=[rows[0]["reference"]])
    services.payout_batch_import_results(batch_id=batch.pk, actor=fiona, content=content)
    before = snapshot()

    again = services.payout_batch_import_results(batch_id=batch.pk, actor=fiona, content=content)

    assert (again.settled, again.failed, again.unchanged) == (0, 0, 4)
    assert snapshot() == before


def test_R114_a_bad_result_file_names_each_bad_row_and_changes_nothing(owed, fiona):
    batch = services.payout_batch_create(actor=fiona).batch
    rows = export(batch)
    good, unknown, wrong_amount, no_reason = rows[0], rows[1], rows[2], rows[3]
    content = result_file(
        [
            [good["reference"], "settled", good["amount"], "ALI-1", ""],
            ["WP999-1", "settled", "1.00", "ALI-2", ""],
            [wrong_amount["reference"], "settled", "999.99", "ALI-3", ""],
            [no_reason["reference"], "failed", no_reason["amount"], "ALI-4", ""],
            [unknown["reference"], "paid", unknown["amount"], "ALI-5", ""],
        ]
    )
    before = snapshot()

    with pytest.raises(ValidationError) as error:
        services.payout_batch_import_results(batch_id=batch.pk, actor=fiona, content=content)

    messages = error.value.messages
    assert len(messages) == 4, messages
    assert messages[0].startswith("Row 3:") and "WP999-1" in messages[0]
    assert "Row 4:" in messages[1] and "999.99" in messages[1]
    assert "Row 5:" in messages[2] and "reason" in messages[2]
    assert "Row 6:" in messages[3] and "status" in messages[3]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\xff\xfe\x00n\x00o", "UTF-8"),
        (b"reference,status\r\nWP1-1,settled\r\n", "amount, provider_reference"),
        (b"reference,status,amount,provider_reference\r\n", "no rows"),
    ],
)
def test_R114_an_unreadable_result_file_is_refused_clearly(owed, fiona, content, words):
    batch = services.payout_batch_create(actor=fiona).batch

    with pytest.raises(ValidationError) as error:
        services.payout_batch_import_results(batch_id=batch.pk, actor=fiona, content=content)

    assert words in " ".join(error.value.messages)
    assert set(Payout.objects.values_list("state", flat=True)) == {PayoutState.SUBMITTED}


def test_R114_a_result_that_contradicts_the_recorded_one_is_refused(owed, fiona):
    batch = services.payout_batch_create(actor=fiona).batch
    rows = export(batch)
    services.payout_batch_import_results(batch_id=batch.pk, actor=fiona, content=results_for(rows))
    before = snapshot()

    with pytest.raises(ValidationError) as error:
        services.payout_batch_import_results(
            batch_id=batch.pk, actor=fiona, content=results_for(rows, failed=[rows[1]["reference"]])
        )

    assert "already has the result settled" in " ".join(error.value.messages)
    assert snapshot() == before


def test_R114_only_a_failed_payout_can_be_resubmitted(owed, fiona):
    with pytest.raises(ValidationError) as error:
        services.payout_resubmit(payout_id=owed[0].pk, actor=fiona)

    assert error.value.code == "state"
    assert Payout.objects.get(pk=owed[0].pk).state == PayoutState.PENDING


@pytest.mark.parametrize("persona", ["rita", "uma"])
def test_R101_only_finance_runs_the_payouts(owed, request, persona):
    with pytest.raises(ValidationError) as error:
        services.payout_batch_create(actor=request.getfixturevalue(persona))

    assert error.value.code == "forbidden"
    assert not PayoutBatch.objects.exists()
