"""The marketplace's side of the callbacks, for the demo and by hand (issue 12): a receiver
on 127.0.0.1 that checks signatures, records what comes, answers some with 500s or hangs on
demand, and reports what it received when stopped (Ctrl-C or --seconds).

    manage.py callback_receiver --port 8765 --fail-every 3 --hang-every 5 --seconds 60

Point the portal at it: PLATFORM_CALLBACK_URL=http://127.0.0.1:8765/callbacks.
"""

import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from outbox.receiver import Receiver


class Command(BaseCommand):
    help = "Run a loopback receiver of the portal's callbacks and report what it received."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--secret", default=None, help="default: PLATFORM_CALLBACK_SECRET")
        parser.add_argument("--fail-every", type=int, default=0, help="answer every Nth with 500")
        parser.add_argument("--hang-every", type=int, default=0, help="hang on every Nth")
        parser.add_argument("--hang-seconds", type=float, default=15.0)
        parser.add_argument("--seconds", type=float, default=0, help="stop after this long")

    def handle(self, *args, port, secret, fail_every, hang_every, hang_seconds, seconds, **kw):
        receiver = Receiver(secret or settings.PLATFORM_CALLBACK_SECRET, port=port)
        receiver.every(fail_every=fail_every, hang_every=hang_every, hang_seconds=hang_seconds)
        receiver.start()
        self.stdout.write(f"receiving callbacks at {receiver.url} (Ctrl-C stops)")
        end = time.monotonic() + seconds if seconds else None
        try:
            while end is None or time.monotonic() < end:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            receiver.stop()
        self.stdout.write(json.dumps(receiver.report(), indent=2, ensure_ascii=False))
