"""R113 on PostgreSQL: two workers at once never post one message at the same time (SKIP
LOCKED), order per order/refund holds across them, and a worker killed (kill -9) mid-send
leaves its message to be sent again, same id. Skipped, visibly, on SQLite."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from django.db import connection

from outbox.delivery import deliver_due
from outbox.models import Message
from tests.conftest import POSTGRES_RACE
from tests.enrollment.test_races import race
from tests.factories import order_story
from tests.outbox.conftest import SECRET
from tests.platform_api import events as ev

pytestmark = POSTGRES_RACE

ROOT = Path(__file__).resolve().parents[2]


def orders(client, shop, n):
    """n insured orders shipped and received: two policy.issued messages each, in order."""
    for i in range(n):
        ev.send(client, *order_story(f"O{i}", shop.platform_shop_id, buyer=f"b{i}"))


def test_R113_two_workers_at_once_never_post_the_same_message_twice(client, shop, receiver, target):
    orders(client, shop, 12)
    receiver.hold = 0.05  # each answer takes a while: the workers overlap

    results = race(
        lambda: deliver_due(target=target, size=2),
        lambda: deliver_due(target=target, size=2),
        lambda: deliver_due(target=target, size=2),
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.delivered for r in results) == 24
    assert sum(1 for r in results if r.delivered) >= 2  # the work was shared
    assert receiver.overlaps == []
    assert Counter(receiver.ids()) == Counter(
        str(m) for m in Message.objects.values_list("message_id", flat=True)
    )  # each exactly once
    for i in range(12):  # R112: issued, then covered, whichever worker sent them
        about = [
            r.envelope for r in receiver.delivered() if r.envelope["data"]["order_id"] == f"O{i}"
        ]
        assert [e["data"]["coverage_start"] is None for e in about] == [True, False]


def test_R113_a_worker_killed_mid_send_is_replaced_and_the_message_sent_again(
    client, shop, receiver, target
):
    orders(client, shop, 1)
    first = Message.objects.order_by("seq").first()
    receiver.hang_next(1, seconds=60)  # the worker waits on its answer...
    settings = connection.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PLATFORM_CALLBACK_URL": receiver.url,
        "PLATFORM_CALLBACK_SECRET": SECRET,
        "CALLBACK_READ_TIMEOUT": "60",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    worker = subprocess.Popen([sys.executable, "manage.py", "deliver_callbacks"], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert receiver.received, "the worker never posted"
    finally:
        worker.send_signal(signal.SIGKILL)  # ...and is killed mid-send
        worker.wait()

    deadline = time.monotonic() + 10  # PostgreSQL ends the dead worker's transaction
    while time.monotonic() < deadline:
        result = deliver_due(target=target)
        if result.delivered:
            break
        time.sleep(0.1)
    first.refresh_from_db()
    assert first.status == "delivered" and first.attempts == 1  # the killed try left nothing
    ids = [r.message_id for r in receiver.received]
    assert ids.count(str(first.message_id)) == 2  # sent again, same id
    assert receiver.received[0].raw == receiver.delivered()[0].raw  # and the same bytes
