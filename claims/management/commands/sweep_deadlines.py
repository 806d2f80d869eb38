"""R91: close and flag what has expired. Run it every few minutes (cron / systemd timer)."""

from django.core.management.base import BaseCommand

from claims.services.sweep import sweep_deadlines


class Command(BaseCommand):
    help = "Close claims past their return deadline, settle overdue receipts, flag late reviews."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="enqueue the sweep as a background task (db_worker) instead of running it here",
        )

    def handle(self, *args, enqueue, **options):
        if enqueue:
            from claims.tasks import sweep_deadlines_task

            result = sweep_deadlines_task.enqueue()
            self.stdout.write(f"enqueued sweep task {result.id}")
            return
        result = sweep_deadlines()
        self.stdout.write(
            self.style.SUCCESS(
                f"closed (no return in time): {result.closed_timeout}; "
                f"taken as received (merchant late, breach): {result.receipt_overdue}; "
                f"reviews flagged overdue: {result.review_flagged}"
            )
        )
