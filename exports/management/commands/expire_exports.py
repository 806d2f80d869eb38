"""Delete the files of expired CSV exports. Every export task does it first; run this from
cron (e.g. hourly) so that files also go when nobody exports for a while."""

from django.core.management.base import BaseCommand

from exports.services import csv_exports_expire


class Command(BaseCommand):
    help = "Expire CSV exports past CSV_EXPORT_KEEP_HOURS (files deleted) and stale ones."

    def handle(self, *args, **options):
        result = csv_exports_expire()
        self.stdout.write(
            self.style.SUCCESS(
                f"expired: {result['expired']}; failed (interrupted): {result['failed']}"
            )
        )
