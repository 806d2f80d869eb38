"""R33, R38, R90, R91: the deadline sweep closes and flags what expired, idempotently."""

import datetime as dt

import pytest
from django.core.management import call_command

from claims.models import Claim, Payout, ServiceBreach
from claims.services import decisions
from claims.services.sweep import sweep_deadlines
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db


def test_R32_a_claim_in_review_past_24_hours_is_flagged_overdue_once(request_refund):
    claim = request_refund().claim
    due = claim.review_due_at

    assert sweep_deadlines(now=due).review_flagged == 0  # at the deadline: not yet past it
    assert sweep_deadlines(now=due + dt.timedelta(seconds=1)).review_flagged == 1
    assert sweep_deadlines(now=due + dt.timedelta(hours=1)).review_flagged == 0  # R91
    claim.refresh_from_db()
    assert claim.review_overdue and claim.state == "submitted"


def test_R33_no_tracking_number_in_time_closes_the_claim_without_payout(request_refund, rita):
    claim = request_refund(kind="return_and_refund").claim
    decisions.claim_approve(claim_id=claim.pk, actor=rita)
    claim.refresh_from_db()

    assert sweep_deadlines(now=claim.return_due_at).closed_timeout == 0
    result = sweep_deadlines(now=claim.return_due_at + dt.timedelta(minutes=1))

    assert result.closed_timeout == 1
    claim.refresh_from_db()
    assert claim.state == "closed_timeout"
    assert not Payout.objects.exists()
    again = sweep_deadlines(now=claim.return_due_at + dt.timedelta(days=1))
    assert again.as_dict() == {"closed_timeout": 0, "receipt_overdue": 0, "review_flagged": 0}


def test_R38_a_return_left_unconfirmed_past_10_days_is_paid_with_a_breach(
    client, request_refund, rita
):
    claim = request_refund(kind="return_and_refund").claim
    decisions.claim_approve(claim_id=claim.pk, actor=rita)
    claim.refresh_from_db()
    ev.send(client, ev.return_shipped("R1", at=claim.decided_at + dt.timedelta(days=1)))
    claim.refresh_from_db()

    result = sweep_deadlines(now=claim.receipt_due_at + dt.timedelta(minutes=1))

    assert result.receipt_overdue == 1
    claim.refresh_from_db()
    assert claim.state == "paid"
    assert ServiceBreach.objects.get().cause == "receipt_overdue"
    assert sweep_deadlines(now=claim.receipt_due_at + dt.timedelta(days=2)).receipt_overdue == 0


def test_R91_the_command_and_the_task_call_the_same_sweep(request_refund, capsys):
    claim = request_refund().claim
    Claim.objects.filter(pk=claim.pk).update(review_due_at=claim.submitted_at)

    call_command("sweep_deadlines")

    assert "reviews flagged overdue: 1" in capsys.readouterr().out
    from claims.tasks import sweep_deadlines_task

    assert sweep_deadlines_task.enqueue().return_value == {
        "closed_timeout": 0,
        "receipt_overdue": 0,
        "review_flagged": 0,
    }
