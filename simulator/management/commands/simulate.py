"""Play the marketplace through the signed event API (R80-R87)."""

import random
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

import simulator
from enrollment import selectors
from enrollment.models import EnrollmentState, Shop

NOT_ENROLLED_SHARE = 0.1  # of the orders, for the one shop that is not enrolled


class Command(BaseCommand):
    help = (
        "Simulate the marketplace: orders, refund requests, returns and withdrawals sent as "
        "signed platform events to a running portal (--url) or in-process (--in-process)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running portal")
        parser.add_argument(
            "--in-process",
            action="store_true",
            help="post through django.test.Client to this process's database instead of HTTP",
        )
        parser.add_argument("--orders", type=int, default=300)
        parser.add_argument("--days", type=float, default=45, help="simulated period, to now")
        parser.add_argument(
            "--seed", type=int, help="random seed; ids are SIM<seed>-…, so a re-run is duplicate"
        )
        parser.add_argument("--batch", type=int, default=200, help="events per request (≤1000)")
        parser.add_argument(
            "--shops",
            nargs="+",
            help="platform shop ids (default: every shop in force, plus one invited/exited shop)",
        )
        parser.add_argument("--secret", help="signing secret (default: PLATFORM_WEBHOOK_SECRET)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        if not 1 <= options["batch"] <= 1000:
            raise CommandError("--batch must be between 1 and 1000 (R80)")
        if options["orders"] < 1 or options["days"] <= 0:
            raise CommandError("--orders and --days must be positive")
        seed = options["seed"]
        if seed is None:
            seed = random.SystemRandom().randrange(1_000_000)
            self.stderr.write(f"seed {seed} (re-run with --seed {seed} to replay)")
        market = simulator.Marketplace(
            shops=self._shops(options["shops"]),
            orders=options["orders"],
            days=options["days"],
            seed=seed,
            now=timezone.now(),
        )
        secret = options["secret"] or settings.PLATFORM_WEBHOOK_SECRET
        if options["in_process"]:
            transport = simulator.InProcessTransport(secret=secret)
        else:
            transport = simulator.HttpTransport(options["url"], secret=secret)
        try:
            report = simulator.play(
                transport,
                market,
                batch=options["batch"],
                progress=None if options["no_progress"] else sys.stderr,
                source="db" if options["in_process"] else "api",
            )
        except simulator.SimulationError as error:
            raise CommandError(str(error)) from None
        for line in report.lines():
            self.stdout.write(line)

    def _shops(self, given) -> dict[str, float]:
        """Shop id -> weight. Events for shops unknown to the portal would all be rejected."""
        if given:
            ids = [s for item in given for s in item.split(",") if s]
            return dict.fromkeys(ids, 1.0)
        in_force = list(
            selectors.shops_in_force()
            .order_by("platform_shop_id")
            .values_list("platform_shop_id", flat=True)
        )
        if not in_force:
            raise CommandError("no shop has a service in force: run seed_demo or pass --shops")
        other = (
            Shop.objects.exclude(platform_shop_id__in=in_force)
            .exclude(enrollments__state=EnrollmentState.PENDING)
            .order_by("platform_shop_id")
            .values_list("platform_shop_id", flat=True)
            .first()
        )
        shops = dict.fromkeys(in_force, (1 - NOT_ENROLLED_SHARE) / len(in_force))
        if other:
            shops[other] = NOT_ENROLLED_SHARE
        return shops
