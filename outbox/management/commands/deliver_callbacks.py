"""R113: deliver the due messages to the marketplace now (what a worker's turn does), for
cron or by hand: `manage.py deliver_callbacks` drains what is due; `--for 55` keeps looking
for 55 seconds."""

from django.core.management.base import BaseCommand

from outbox.delivery import deliver_due, deliver_for


class Command(BaseCommand):
    help = "Post the due messages to PLATFORM_CALLBACK_URL (signed), retrying failures later."

    def add_arguments(self, parser):
        parser.add_argument(
            "--for", dest="seconds", type=float, default=0, help="keep delivering this long"
        )

    def handle(self, *args, seconds, **options):
        result = deliver_for(seconds) if seconds else deliver_due()
        self.stdout.write(
            f"delivered {result.delivered}, to retry {result.retrying}, dead {result.dead}"
        )
