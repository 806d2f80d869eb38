"""Issue 10, R42: the set-based sweep and a merchant (or a second sweep) on the same due
claims at once: each claim is received, refunded and paid exactly once.

The sweep locks a chunk with the state and the deadline in the WHERE; the merchant's service
locks the one claim. Whoever comes second waits for the row lock, then finds the claim paid:
the sweep leaves it out, the merchant is refused. PostgreSQL only (row locks); skipped,
visibly, on SQLite.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django_fsm_log.models import StateLog

from claims.models import BuyerCompensation, Claim, Payout, ServiceBreach
from claims.services import decisions
from claims.services.sweep import sweep_deadlines
from tests.conftest import POSTGRES_RACE
from tests.enrollment.test_races import race
from tests.platform_api import events as ev

pytestmark = POSTGRES_RACE

N = 4
DECIDED = ev.T0 + dt.timedelta(days=5, hours=2)
SWEEP_AT = ev.T0 + dt.timedelta(days=30)  # every receipt deadline has passed


@pytest.fixture
def due_claims(client, send_order_story, rita):
    """N shipped returns whose merchant receipt deadline passed (R38)."""
    ids = []
    for i in range(1, N + 1):
        order_id, refund_id = f"O{i}", f"R{i}"
        send_order_story(
            order_id, buyer=f"buyer-{i}", refund_id=refund_id, kind="return_and_refund"
        )
        claim = Claim.objects.get(refund__platform_refund_id=refund_id)
        decisions.claim_approve(claim_id=claim.pk, actor=rita, at=DECIDED)
        shipped = DECIDED + dt.timedelta(days=1)
        (result,) = ev.send(client, ev.return_shipped(refund_id, at=shipped, reported_at=shipped))
        assert result["status"] == "applied", result
        ids.append(claim.pk)
    assert Claim.objects.filter(state="return_shipped", receipt_due_at__lt=SWEEP_AT).count() == N
    return ids


def assert_each_paid_once(claim_ids):
    assert set(Claim.objects.filter(pk__in=claim_ids).values_list("state", flat=True)) == {"paid"}
    for table in (Payout, BuyerCompensation, ServiceBreach):
        assert sorted(table.objects.values_list("claim_id", flat=True)) == sorted(claim_ids)
    for claim_id in claim_ids:
        transitions = list(
            StateLog.objects.filter(content_type__model="claim", object_id=claim_id)
            .order_by("id")
            .values_list("transition", flat=True)
        )
        assert transitions[-3:] == ["confirm_receipt", "complete_refund", "mark_paid"]
        assert transitions.count("mark_paid") == 1


def test_R42_the_sweep_and_merchants_confirming_the_same_due_claims_pay_each_once(
    due_claims, alice
):
    def confirm(claim_id):
        return lambda: decisions.claim_confirm_receipt(claim_id=claim_id, actor=alice)

    sweep, *confirmations = race(
        lambda: sweep_deadlines(now=SWEEP_AT, chunk=2),
        *(confirm(claim_id) for claim_id in due_claims),
    )

    assert not isinstance(sweep, Exception), sweep
    refused = [r for r in confirmations if isinstance(r, Exception)]
    assert all(
        isinstance(r, ValidationError) and r.code == "illegal_transition" for r in refused
    ), refused
    # Every claim was settled by one of them: the sweep's count and the merchants' successes.
    assert sweep.receipt_overdue + (len(confirmations) - len(refused)) == N
    assert_each_paid_once(due_claims)


def test_R42_R91_two_sweeps_at_once_settle_each_claim_once(due_claims):
    first, second = race(
        lambda: sweep_deadlines(now=SWEEP_AT, chunk=1),
        lambda: sweep_deadlines(now=SWEEP_AT, chunk=3),
    )

    assert not isinstance(first, Exception) and not isinstance(second, Exception)
    assert first.receipt_overdue + second.receipt_overdue == N
    assert_each_paid_once(due_claims)
