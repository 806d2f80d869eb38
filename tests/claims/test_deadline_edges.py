"""R32, R33, R38, R90, R91: a deadline is judged by the time the action carries, compared with
the deadline stored on the claim, so the outcome is the same whether the sweep ran a second
or a day before (issue 9). The sweep stays the backstop for events that never come."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from claims.models import BuyerCompensation, Claim, Payout, RefundRequest, ServiceBreach
from claims.services import decisions
from claims.services.sweep import sweep_deadlines
from portal.audit import timeline
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db

REQUESTED = ev.T0 + dt.timedelta(days=5)
DECIDED = REQUESTED + dt.timedelta(hours=2)
RETURN_DUE = DECIDED + dt.timedelta(days=7)
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def awaiting_return(request_refund, rita):
    """A return approved at DECIDED: its tracking number is due at RETURN_DUE (R33)."""
    claim = request_refund(kind="return_and_refund", at=REQUESTED).claim
    decisions.claim_approve(claim_id=claim.pk, actor=rita, at=DECIDED)
    claim.refresh_from_db()
    assert claim.return_due_at == RETURN_DUE
    return claim


def ship(client, *, at, reported_at=None):
    (result,) = ev.send(client, ev.return_shipped("R1", at=at, reported_at=reported_at or at))
    return result


def outcome(claim_id):
    """What the money and the merchant see of a claim."""
    claim = Claim.objects.get(pk=claim_id)
    return {
        "state": claim.state,
        "closed_at": claim.closed_at,
        "payout": list(Payout.objects.values_list("amount", "paid_at")),
        "compensation": list(BuyerCompensation.objects.values_list("amount", flat=True)),
        "breach": list(ServiceBreach.objects.values_list("cause", "points", "recorded_at")),
    }


# --- R33: the return tracking number ---


def test_R33_a_return_shipped_after_its_deadline_is_refused_before_the_sweep_runs(
    client, awaiting_return
):
    result = ship(client, at=RETURN_DUE + SECOND)

    assert result["status"] == "rejected" and "after its deadline" in result["error"]
    awaiting_return.refresh_from_db()
    assert awaiting_return.state == "awaiting_return" and not Payout.objects.exists()


def test_R33_a_late_return_ends_the_same_whether_the_sweep_ran_before_or_after(
    client, awaiting_return
):
    ship(client, at=RETURN_DUE + SECOND)
    sweep_deadlines(now=RETURN_DUE + dt.timedelta(days=1))  # the sweep runs a day late
    after = outcome(awaiting_return.pk)

    assert after["state"] == "closed_timeout" and after["closed_at"] == RETURN_DUE
    assert ship(client, at=RETURN_DUE + SECOND)["status"] == "rejected"  # and again, after it
    assert outcome(awaiting_return.pk) == after


def test_R33_a_return_shipped_on_time_but_reported_after_the_sweep_closed_the_claim_reopens_it(
    client, awaiting_return
):
    sweep_deadlines(now=RETURN_DUE + dt.timedelta(hours=3))
    awaiting_return.refresh_from_db()
    assert awaiting_return.state == "closed_timeout"

    reported = RETURN_DUE + dt.timedelta(hours=4)
    result = ship(client, at=RETURN_DUE - dt.timedelta(hours=1), reported_at=reported)

    assert result["status"] == "applied", result
    awaiting_return.refresh_from_db()
    assert awaiting_return.state == "return_shipped" and awaiting_return.closed_at is None
    # The merchant gets its full 10 days from the moment it was told (R38).
    assert awaiting_return.receipt_due_at == reported + dt.timedelta(days=10)
    assert [e.state for e in timeline(awaiting_return)][-2:] == ["closed_timeout", "return_shipped"]


def test_R33_a_return_shipped_at_the_deadline_instant_is_on_time(client, awaiting_return):
    assert ship(client, at=RETURN_DUE)["status"] == "applied"


def test_R33_the_sweep_dates_a_timeout_at_the_deadline_not_when_it_runs(awaiting_return):
    sweep_deadlines(now=RETURN_DUE + dt.timedelta(days=3))

    awaiting_return.refresh_from_db()
    assert awaiting_return.closed_at == RETURN_DUE
    assert timeline(awaiting_return).last().timestamp == RETURN_DUE


# --- R38: the merchant's receipt deadline ---


@pytest.fixture
def return_shipped(client, awaiting_return):
    shipped = DECIDED + dt.timedelta(days=1)
    assert ship(client, at=shipped)["status"] == "applied"
    awaiting_return.refresh_from_db()
    assert awaiting_return.receipt_due_at == shipped + dt.timedelta(days=10)
    return awaiting_return


def test_R38_a_merchant_confirming_after_the_receipt_deadline_owes_the_breach(
    return_shipped, alice
):
    late = return_shipped.receipt_due_at + dt.timedelta(hours=5)

    decisions.claim_confirm_receipt(claim_id=return_shipped.pk, actor=alice, at=late)

    breach = ServiceBreach.objects.get()
    assert (breach.cause, breach.points) == ("receipt_overdue", 10_000)
    assert Claim.objects.get(pk=return_shipped.pk).state == "paid"


def test_R38_a_merchant_confirming_in_time_owes_nothing(return_shipped, alice):
    decisions.claim_confirm_receipt(
        claim_id=return_shipped.pk, actor=alice, at=return_shipped.receipt_due_at
    )
    assert not ServiceBreach.objects.exists()


def test_R38_late_confirmation_and_the_sweep_cost_the_same_money(return_shipped, alice):
    late = return_shipped.receipt_due_at + dt.timedelta(hours=5)
    decisions.claim_confirm_receipt(claim_id=return_shipped.pk, actor=alice, at=late)
    by_merchant = outcome(return_shipped.pk)

    assert by_merchant["state"] == "paid"
    assert [p[0] for p in by_merchant["payout"]] == [return_shipped.payable]
    assert by_merchant["compensation"] == [Decimal("10.00")]
    assert [(c, p) for c, p, _at in by_merchant["breach"]] == [("receipt_overdue", 10_000)]
    # ... and the sweep, arriving after, changes nothing more (R91).
    assert sweep_deadlines(now=late + dt.timedelta(days=1)).receipt_overdue == 0
    assert outcome(return_shipped.pk) == by_merchant


def test_R38_the_sweep_dates_a_forced_receipt_at_the_deadline(return_shipped):
    due = return_shipped.receipt_due_at
    sweep_deadlines(now=due + dt.timedelta(days=2))

    assert ServiceBreach.objects.get().recorded_at == due
    assert Payout.objects.get().paid_at == due


def test_R38_refusing_receipt_after_the_deadline_is_refused_and_changes_nothing(
    return_shipped, alice
):
    with pytest.raises(ValidationError) as error:
        decisions.claim_refuse_receipt(
            claim_id=return_shipped.pk,
            actor=alice,
            ground="empty_parcel",
            note="空箱",
            evidence=[("box.png", ev.png_bytes())],
            at=return_shipped.receipt_due_at + SECOND,
        )

    assert error.value.code == "receipt_deadline_passed"
    assert Claim.objects.get(pk=return_shipped.pk).state == "return_shipped"


# --- the buyer's withdrawal against the return deadline ---


def test_R33_R41_a_withdrawal_after_the_return_deadline_finds_the_claim_closed_first(
    client, awaiting_return
):
    (result,) = ev.send(client, ev.refund_cancelled("R1", at=RETURN_DUE + dt.timedelta(hours=1)))

    assert result["status"] == "applied", result
    claim = Claim.objects.get(pk=awaiting_return.pk)
    assert (claim.state, claim.closed_at) == ("closed_timeout", RETURN_DUE)
    assert RefundRequest.objects.get().state == "cancelled"


def test_R33_R41_a_withdrawal_before_the_deadline_reported_after_the_sweep_cancels_the_claim(
    client, awaiting_return
):
    sweep_deadlines(now=RETURN_DUE + dt.timedelta(hours=3))

    withdrawn = RETURN_DUE - dt.timedelta(hours=1)
    (result,) = ev.send(client, ev.refund_cancelled("R1", at=withdrawn))

    assert result["status"] == "applied", result
    claim = Claim.objects.get(pk=awaiting_return.pk)
    assert (claim.state, claim.closed_at) == ("cancelled", withdrawn)


# --- R32: the review deadline ---


def test_R32_a_decision_after_the_review_deadline_counts_as_overdue_without_the_sweep(
    request_refund, rita
):
    claim = request_refund(at=REQUESTED).claim

    decisions.claim_reject(
        claim_id=claim.pk, actor=rita, reason="照片不清楚", at=claim.review_due_at + SECOND
    )

    assert Claim.objects.get(pk=claim.pk).review_overdue


def test_R32_a_decision_in_time_is_not_overdue(request_refund, rita):
    claim = request_refund(at=REQUESTED).claim

    decisions.claim_reject(claim_id=claim.pk, actor=rita, reason="照片不清楚", at=REQUESTED)

    assert not Claim.objects.get(pk=claim.pk).review_overdue


def test_R33_R35_a_withdrawn_request_is_not_reopened_by_a_late_reported_return(
    client, awaiting_return
):
    ev.send(client, ev.refund_cancelled("R1", at=RETURN_DUE + dt.timedelta(hours=1)))

    result = ship(
        client,
        at=RETURN_DUE - dt.timedelta(hours=1),
        reported_at=RETURN_DUE + dt.timedelta(hours=2),
    )

    assert result["status"] == "rejected" and "withdrew" in result["error"]
    assert Claim.objects.get(pk=awaiting_return.pk).state == "closed_timeout"
    assert not Payout.objects.exists()


def test_R33_R42_a_late_reported_return_does_not_reopen_a_claim_whose_line_has_a_new_one(
    client, request_refund, awaiting_return
):
    sweep_deadlines(now=RETURN_DUE + dt.timedelta(hours=3))
    newer = request_refund("R2", kind="refund_only", at=RETURN_DUE + dt.timedelta(hours=4)).claim

    result = ship(
        client,
        at=RETURN_DUE - dt.timedelta(hours=1),
        reported_at=RETURN_DUE + dt.timedelta(hours=5),
    )

    # A clear, final error (R83), not "send it again": the line's new claim stands (R42).
    assert result["status"] == "rejected", result
    assert "newer claim" in result["error"] and "send it again" not in result["error"]
    assert Claim.objects.get(pk=awaiting_return.pk).state == "closed_timeout"
    assert Claim.objects.get(pk=newer.pk).state == newer.state
