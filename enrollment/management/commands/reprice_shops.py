"""R51: recompute every enrolled shop's premium rate with the risk model.

Run it daily (cron / systemd timer, see README). Idempotent: a rate that did not change is
not written again, and an underwriter's override in force is kept (R52).
"""

from django.core.management.base import BaseCommand

from enrollment import repricing
from portal.money import percent


class Command(BaseCommand):
    help = "Recompute enrolled shops' premium rates with the risk model (R51)."

    def handle(self, *args, **options):
        results = repricing.shops_reprice()
        changed = 0
        for shop, new, why in results:
            if new is not None:
                changed += 1
                self.stdout.write(
                    f"{shop.platform_shop_id} {shop.name}: {percent(new.rate)} - {why}"
                )
            else:
                self.stdout.write(f"{shop.platform_shop_id} {shop.name}: {why}")
        self.stdout.write(self.style.SUCCESS(f"{len(results)} shops priced, {changed} new rates."))
