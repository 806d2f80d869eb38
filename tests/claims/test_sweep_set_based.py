"""Issue 10: the set-based sweep leaves the database exactly as the per-claim services do.

The reference below is the per-claim sweep as it was before issue 10 (one transaction per
claim: lock, guarded transitions through `decisions`, save, audit, payout, e-mail). It calls
the live services, so a change to what they write (a reason, a field, a row) shows up here
as a difference with the set-based sweep.

Each sweep runs on the same mixed scenario inside a savepoint that is rolled back afterwards,
so both start from the same rows; what they leave is compared field by field (surrogate ids
of new rows aside: sequences do not roll back).
"""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django_fsm_log.models import StateLog

from claims import rollups
from claims.models import (
    BreachCause,
    BuyerCompensation,
    Claim,
    ClaimState,
    Payout,
    Policy,
    ServiceBreach,
)
from claims.services import decisions
from claims.services.sweep import CHUNK, SweepResult, sweep_deadlines
from enrollment import services as enrollment_services
from outbox.models import Message
from tests.conftest import ENROLLED_SINCE, apply
from tests.factories import order_story
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
NOW = ev.T0 + 30 * DAY  # when the sweep runs
BOB_ALIPAY = "13900139000"


# --- the reference: the per-claim sweep before issue 10 -------------------------------------


def _due(state, field, now):
    return list(
        Claim.objects.filter(state=state, **{f"{field}__lt": now})
        .order_by(field)
        .values_list("pk", flat=True)
    )


def _close_timeout(claim_id, now):
    with transaction.atomic():
        claim = decisions.locked(claim_id)
        if claim.state != ClaimState.AWAITING_RETURN or claim.return_due_at >= now:
            return False
        decisions.close_timeout(claim)
        decisions.save_and_notify(claim, None)
        return True


def _receipt_overdue(claim_id, now):
    with transaction.atomic():
        claim = decisions.locked(claim_id)
        if not decisions.receipt_overdue(claim, now):
            return False
        due = claim.receipt_due_at
        decisions.run(
            claim,
            "confirm_receipt",
            by=None,
            at=due,
            description="system: R38 merchant receipt deadline passed",
        )
        decisions.record_breach(claim, cause=BreachCause.RECEIPT_OVERDUE, at=due)
        decisions.complete_and_pay(
            claim, by=None, at=due, description="system: R35 refund after the receipt deadline"
        )
        decisions.save_and_notify(claim, "breach")
        return True


def per_claim_sweep(*, now):
    result = SweepResult()
    for claim_id in _due(ClaimState.AWAITING_RETURN, "return_due_at", now):
        result.closed_timeout += _close_timeout(claim_id, now)
    for claim_id in _due(ClaimState.RETURN_SHIPPED, "receipt_due_at", now):
        result.receipt_overdue += _receipt_overdue(claim_id, now)
    result.review_flagged = Claim.objects.filter(
        state=ClaimState.SUBMITTED, review_due_at__lt=now, review_overdue=False
    ).update(review_overdue=True)
    return result


# --- the scenario ---------------------------------------------------------------------------


@pytest.fixture
def bob_shop(bob, uma):
    """Bob's shop, enrolled since 1 May 2026, paid to another Alipay account."""
    with time_machine.travel(dt.datetime.fromisoformat(ENROLLED_SINCE), tick=False):
        enrollment = apply(bob, alipay_account=BOB_ALIPAY)
        enrollment_services.enrollment_approve(enrollment_id=enrollment.pk, actor=uma)
    return bob.merchant.shop


def _line(line_id, amount):
    return {"line_id": line_id, "sku": "SKU", "title": "物品", "quantity": 1, "paid_amount": amount}


@pytest.fixture
def scenario(client, shop, bob_shop, rita):
    """Claims in every situation the sweep meets, on two shops, as of NOW.

    Due: 3 returns with no tracking number (R33), 3 shipped returns unconfirmed (R38; one asks
    more than its cap, one shares its policy with a timed-out claim), 1 review (R32).
    Not due: a return awaiting its parcel, a shipped return, a paid refund-only claim."""

    def order(order_id, shop_, *lines):
        ev.send(
            client,
            *order_story(
                order_id,
                shop_.platform_shop_id,
                buyer=f"buyer-{order_id}",
                lines=[_line(f"{order_id}-{i}", a) for i, a in enumerate(lines, 1)] or None,
            ),
        )

    def claim(refund_id, order_id, line=1, *, at=ev.T0 + 5 * DAY, **kwargs):
        (result,) = ev.send(
            client,
            ev.refund_requested(refund_id, order_id, line_id=f"{order_id}-{line}", at=at, **kwargs),
        )
        assert result["status"] == "applied", result
        return Claim.objects.get(refund__platform_refund_id=refund_id)

    def approve(c, at):
        decisions.claim_approve(claim_id=c.pk, actor=rita, at=at)

    def ship(c, at):
        refund_id = c.refund.platform_refund_id
        (result,) = ev.send(client, ev.return_shipped(refund_id, at=at, reported_at=at))
        assert result["status"] == "applied", result

    ret = {"kind": "return_and_refund"}
    order("O1", shop, "199.00", "59.00")
    order("O2", shop, "199.00")
    order("O3", shop, "199.00")
    order("O4", shop, "199.00")
    order("O5", shop, "199.00")
    order("O6", shop, "199.00")
    order("O7", shop, "199.00")
    order("O8", bob_shop, "88.00")
    order("O9", bob_shop, "88.00")

    decided = ev.T0 + 5 * DAY + dt.timedelta(hours=2)
    # R33: approved, no tracking number by decided + 7 days.
    for refund_id, order_id, line in (("R1", "O1", 1), ("R7", "O6", 1), ("R10", "O9", 1)):
        approve(claim(refund_id, order_id, line, **ret), decided)
    # R38: shipped a day later, the merchant's 10 days ran out.
    r2 = claim("R2", "O1", 2, amount="59.00", **ret)  # same policy as R1
    r4 = claim("R4", "O3", amount="250.00", **ret)  # more than the cap 209.00 (R36)
    r9 = claim("R9", "O8", amount="50.00", **ret)  # Bob's shop, Bob's account
    for c in (r2, r4, r9):
        approve(c, decided)
        ship(c, decided + DAY + dt.timedelta(minutes=c.pk))  # distinct deadlines
    # Not due yet: approved late, shipped late.
    approve(claim("R3", "O2", at=ev.T0 + 24 * DAY, **ret), ev.T0 + 25 * DAY)
    r5 = claim("R5", "O4", at=ev.T0 + 19 * DAY, **ret)
    approve(r5, ev.T0 + 20 * DAY)
    ship(r5, ev.T0 + 22 * DAY)
    # R32: still in review, long past its 24 hours.
    claim("R6", "O5", **ret)
    # Done already: a refund-only claim approved and paid.
    approve(claim("R8", "O7"), decided)

    assert dict(
        (s, Claim.objects.filter(state=s).count())
        for s in ("awaiting_return", "return_shipped", "submitted", "paid")
    ) == {"awaiting_return": 4, "return_shipped": 4, "submitted": 1, "paid": 1}
    mail.outbox.clear()


def picture():
    """Every row the sweep may write or change, without the surrogate ids of new rows."""
    claim_fields = [f.attname for f in Claim._meta.concrete_fields]
    return {
        "claims": list(Claim.objects.order_by("pk").values(*claim_fields)),
        "payouts": list(
            Payout.objects.order_by("claim_id").values(
                "claim_id", "shop_id", "amount", "alipay_account", "paid_at"
            )
        ),
        "compensations": list(
            BuyerCompensation.objects.order_by("claim_id").values(
                "claim_id", "buyer_id", "amount", "paid_at"
            )
        ),
        "breaches": list(
            ServiceBreach.objects.order_by("claim_id").values(
                "claim_id", "shop_id", "cause", "points", "recorded_at", "state", "settled_at"
            )
        ),
        "policies": list(Policy.objects.order_by("pk").values("pk", "claim_status")),
        # The merchant figures (issue 10): what the rollup tables hold, day by day.
        "rollups": rollups.current(),
        # R112: the messages to the marketplace, each refund's in the order they were written
        "outbox": sorted(
            Message.objects.order_by("seq").values(
                "message_id", "type", "key", "body", "occurred_at", "status"
            ),
            key=lambda m: m["key"],
        ),
        # Every audit row of every model, each object's rows in the order they were written.
        "audit": list(
            StateLog.objects.order_by("content_type_id", "object_id", "id").values(
                "content_type_id",
                "object_id",
                "transition",
                "source_state",
                "state",
                "by_id",
                "description",
                "timestamp",
            )
        ),
    }


def rolled_back(sweep, capture):
    """Run `sweep(now=NOW)`, its after-commit work (e-mails) included; return its result, the
    database it leaves and the e-mails sent; then undo it all."""
    with transaction.atomic():
        mail.outbox.clear()
        with capture(execute=True):
            result = sweep(now=NOW)
        outcome = (
            result.as_dict(),
            picture(),
            sorted((tuple(m.to), m.subject, m.body) for m in mail.outbox),
        )
        transaction.set_rollback(True)
    mail.outbox.clear()
    return outcome


@pytest.mark.parametrize("chunk", [1, 2, CHUNK])
def test_issue10_the_set_based_sweep_leaves_what_the_per_claim_services_leave(
    scenario, chunk, django_capture_on_commit_callbacks
):
    before = picture()
    per_claim = rolled_back(per_claim_sweep, django_capture_on_commit_callbacks)
    assert picture() == before  # the reference was undone

    set_based = rolled_back(
        lambda now: sweep_deadlines(now=now, chunk=chunk), django_capture_on_commit_callbacks
    )

    counts, after, mails = per_claim
    assert counts == {"closed_timeout": 3, "receipt_overdue": 3, "review_flagged": 1}
    assert after != before and len(mails) == 3  # one "breach" e-mail per forced receipt
    # R111: 3 claim.closed, and 3 x (merchant.breach, claim.refund_due, buyer.compensation)
    assert len(after["outbox"]) - len(before["outbox"]) == 3 + 3 * 3
    assert set_based[0] == per_claim[0]
    for table in after:
        assert set_based[1][table] == after[table], table
    assert set_based[2] == mails
    assert after["rollups"] != before["rollups"]  # the sweep moved the figures


def test_issue10_after_the_set_based_sweep_the_rollups_equal_a_recount(scenario):
    sweep_deadlines(now=NOW, chunk=2)

    assert rollups.current() == rollups.recount()


def test_issue10_what_the_set_based_sweep_writes_for_a_forced_receipt(scenario):
    """Spot checks of the rows (the comparison above says they equal the reference's)."""
    result = sweep_deadlines(now=NOW, chunk=2)

    assert result.as_dict() == {"closed_timeout": 3, "receipt_overdue": 3, "review_flagged": 1}
    r4 = Claim.objects.get(refund__platform_refund_id="R4")
    due = r4.receipt_due_at
    assert (r4.state, r4.refunded_at, r4.closed_at) == ("paid", due, due)
    assert Payout.objects.get(claim=r4).amount == r4.payable_cap  # 250.00 asked, 209.00 paid
    r9 = Payout.objects.get(claim__refund__platform_refund_id="R9")
    assert (r9.amount, r9.alipay_account) == (50, BOB_ALIPAY)
    assert [(e.transition, e.timestamp, e.by_id) for e in StateLog.objects.filter(
        object_id=r4.pk, content_type__model="claim"
    ).order_by("id")][-3:] == [
        ("confirm_receipt", due, None),
        ("complete_refund", due, None),
        ("mark_paid", due, None),
    ]  # fmt: skip
    r1 = Claim.objects.get(refund__platform_refund_id="R1")
    assert r1.policy.claim_status == "claim_paid"  # R1 closed, R2 paid on one policy (R24)
    assert Claim.objects.get(refund__platform_refund_id="R7").policy.claim_status == "claim_closed"


def test_issue10_R91_a_second_set_based_sweep_changes_nothing(scenario):
    sweep_deadlines(now=NOW, chunk=2)
    after = picture()

    again = sweep_deadlines(now=NOW + DAY, chunk=2)

    assert again.as_dict() == {"closed_timeout": 0, "receipt_overdue": 0, "review_flagged": 0}
    assert picture() == after
