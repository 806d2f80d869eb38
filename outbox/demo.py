"""The demo's callbacks (issue 12): the seeded changes' messages posted to a loopback
receiver playing the marketplace, which answers every third with a 500; a quick second pass
delivers most of those, so the admin shows delivered, retried and still-retrying messages.
Idempotent: once messages have been tried, it does nothing."""

import time

from django.test.utils import override_settings

from outbox.delivery import Target, deliver_due
from outbox.models import Message
from outbox.receiver import Receiver

SECRET = "demo-callback-secret"


def seed_demo_callbacks(*, write) -> None:
    if Message.objects.filter(attempts__gt=0).exists() or not Message.objects.exists():
        return
    with Receiver(SECRET) as receiver:
        target = Target(url=receiver.url, secret=SECRET, connect_timeout=1, read_timeout=1)
        receiver.every(fail_every=3)
        with override_settings(CALLBACK_RETRY_BASE_SECONDS=2, CALLBACK_RETRY_MAX_SECONDS=2):
            first = deliver_due(target=target)  # a failure is tried again 1-2 s later
        time.sleep(2)
        receiver.every(fail_every=4)
        with override_settings(CALLBACK_RETRY_BASE_SECONDS=1800):
            second = deliver_due(target=target)  # its failures wait 15-30 min: still retrying
    report = receiver.report()
    write(
        f"Callbacks to a loopback marketplace: {report['delivered']} delivered, "
        f"{report['answered_500']} answered 500 and retried "
        f"(first pass {first.delivered} delivered / {first.retrying} to retry, second pass "
        f"{second.delivered} / {second.retrying}); see the admin's messages to the marketplace"
    )
