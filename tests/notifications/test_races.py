"""Issue 11: two sweeps at once tell a coming receipt deadline once (the unique constraint
notification_once_per_deadline, ON CONFLICT DO NOTHING). PostgreSQL only."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from claims.models import Claim
from claims.services import decisions
from notifications.deadlines import receipt_deadlines_notify
from notifications.models import Notification
from tests.conftest import POSTGRES_RACE
from tests.enrollment.test_races import race
from tests.factories import make_orders
from tests.platform_api import events as ev

pytestmark = POSTGRES_RACE


@pytest.fixture
def shipped(client, shop, rita):
    make_orders(client, shop, 4)
    ids = []
    for refund_id in ("RO1", "RO3"):
        claim = Claim.objects.get(refund__platform_refund_id=refund_id)
        decisions.claim_approve(claim_id=claim.pk, actor=rita)
        ev.send(client, ev.return_shipped(refund_id))
        ids.append(claim.pk)
    return list(Claim.objects.filter(pk__in=ids))


def test_two_sweeps_at_once_tell_each_coming_deadline_once(shipped):
    now = max(c.receipt_due_at for c in shipped) - dt.timedelta(hours=1)

    def sweep():
        with transaction.atomic():
            return receipt_deadlines_notify(now=now)

    results = race(sweep, sweep)

    assert not any(isinstance(r, Exception) for r in results), results
    notices = Notification.objects.filter(kind="receipt_due_soon")
    assert sorted(notices.values_list("claim_id", flat=True)) == sorted(c.pk for c in shipped)


def test_a_sweep_that_saw_no_notice_yet_waits_for_the_other_and_writes_none(shipped):
    """The second sweep's check runs before the first commits (both see no notice): its
    INSERT waits on the first's unique-index entry, then does nothing."""
    now = max(c.receipt_due_at for c in shipped) - dt.timedelta(hours=1)
    first_wrote, second_checked = threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            n = receipt_deadlines_notify(now=now)
            first_wrote.set()
            second_checked.wait(10)
        return n

    def second():
        first_wrote.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:  # the other's rows are not visible yet
                cursor.execute(
                    "SELECT COUNT(*) FROM notifications_notification WHERE kind = %s",
                    ["receipt_due_soon"],
                )
                assert cursor.fetchone()[0] == 0
            second_checked.set()
            return receipt_deadlines_notify(now=now)

    results = race(first, second)

    assert results[0] == 2 and not isinstance(results[1], Exception), results
    assert Notification.objects.filter(kind="receipt_due_soon").count() == 2
