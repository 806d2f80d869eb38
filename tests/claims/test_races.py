"""Two reviewers on one claim at once: exactly one transition happens (R40, R42).

PostgreSQL only (row locks); skipped, visibly, on SQLite.
"""

import pytest
from django.core.exceptions import ValidationError

from claims.models import BuyerCompensation, Claim, Payout
from claims.services import decisions
from platform_api.models import PlatformEvent
from portal.audit import timeline
from tests.conftest import POSTGRES_RACE
from tests.enrollment.test_races import race
from tests.platform_api import events as ev

pytestmark = POSTGRES_RACE


@pytest.fixture
def claim(client, shop):
    ev.send(
        client,
        ev.order_placed("O1", shop.platform_shop_id),
        ev.order_shipped("O1"),
        ev.order_received("O1"),
        ev.refund_requested("R1", "O1", kind="refund_only"),
    )
    return Claim.objects.get()


def test_R40_R42_two_reviewers_approving_at_once_pay_once(claim, rita):
    other = type(rita).objects.create(username="rita2", is_staff=True)

    results = race(
        lambda: decisions.claim_approve(claim_id=claim.pk, actor=rita),
        lambda: decisions.claim_approve(claim_id=claim.pk, actor=other),
    )

    errors = [r for r in results if isinstance(r, ValidationError)]
    assert len(errors) == 1 and errors[0].code == "illegal_transition"
    assert "paid" in errors[0].messages[0]
    assert Payout.objects.count() == 1
    assert [e.state for e in timeline(claim)] == ["submitted", "approved", "refunded", "paid"]


def test_R40_approve_and_reject_at_once_make_one_decision(claim, rita):
    other = type(rita).objects.create(username="rita2", is_staff=True)

    results = race(
        lambda: decisions.claim_approve(claim_id=claim.pk, actor=rita),
        lambda: decisions.claim_reject(claim_id=claim.pk, actor=other, reason="no"),
    )

    assert sum(isinstance(r, ValidationError) for r in results) == 1
    claim.refresh_from_db()
    assert claim.state in ("paid", "rejected")
    assert Payout.objects.count() == (1 if claim.state == "paid" else 0)
    assert not BuyerCompensation.objects.exists()


def test_R82_the_same_event_sent_twice_at_once_is_applied_once(client, shop):
    from django.test import Client

    placed = ev.order_placed("O9", shop.platform_shop_id)
    results = race(lambda: ev.send(Client(), placed), lambda: ev.send(Client(), placed))

    statuses = sorted(r[0]["status"] for r in results)
    assert statuses == ["applied", "duplicate"]
    assert PlatformEvent.objects.filter(event_id=placed["id"]).count() == 1
