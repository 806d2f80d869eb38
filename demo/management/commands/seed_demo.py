"""Demo data: staff personas, shops in every enrollment state, and the marketplace's orders,
refunds and claims (played through the signed event API by the simulator), taken on by the
reviewer and the merchant (demo.claims), invoice requests (demo.invoices) and callbacks.
Idempotent."""

import datetime as dt
import sys
from collections import Counter
from contextlib import contextmanager
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Min
from django.test.utils import override_settings
from django.utils import timezone

import simulator
from claims.models import Claim, ClaimState, Order, Policy
from demo.claims import DemoClaims
from demo.invoices import seed_demo_invoices
from enrollment import selectors, services
from enrollment.models import Enrollment, EnrollmentState, Shop
from invoicing.models import InvoiceRequest, InvoiceState
from outbox.demo import seed_demo_callbacks
from portal.groups import CLAIM_REVIEWER, FINANCE, UNDERWRITER

DEMO_PASSWORD = "warranty-demo-2026"

STAFF = [
    ("underwriter", UNDERWRITER, "Underwriter (invitations, enrollments, rates)"),
    ("reviewer", CLAIM_REVIEWER, "Claim reviewer (claims, feedback, buyers)"),
    ("finance", FINANCE, "Finance (invoices, payouts)"),
]
# (platform id, name, merchant login, target state)
SHOPS = [
    ("TM-100001", "暖风生活电器旗舰店", "active@demo-shop.cn", "active"),
    ("TM-100002", "清泉小家电专营店", "invited@demo-shop.cn", "invited"),
    ("TM-100003", "悦家厨房电器店", "pending@demo-shop.cn", "pending"),
    ("TM-100004", "北辰电器专卖店", "exited@demo-shop.cn", "exited"),
]
# The active and exited shops joined this long ago, so the simulated orders are insured (R20);
# the exited shop exits now (R14: its orders placed before stay insured).
ENROLLED_DAYS_AGO = 60
# (shop, orders, days of marketplace history, seed): deterministic ids DEMO<seed>-...
SIMULATIONS = [("TM-100001", 200, 40, 2026), ("TM-100004", 30, 40, 2027)]
# R41 states that persist (approved, received and refunded pass within one request).
LASTING_STATES = [s for s in ClaimState.values if s not in ("approved", "received", "refunded")]


@contextmanager
def days_ago(days: int):
    """Run the enrollment services as if `days` ago (time-machine: installed by bin/demo)."""
    if not days:
        yield
        return
    import time_machine

    with time_machine.travel(timezone.now() - dt.timedelta(days=days), tick=True):
        yield


class Command(BaseCommand):
    help = "Create the demo's users, shops, orders and claims (idempotent) and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument(
            "--force", action="store_true", help="seed even in production mode (DEBUG=false)"
        )

    @override_settings(
        MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    )
    def handle(self, *args, base_url, **options):
        if not settings.DEMO_SEEDING_ALLOWED and not options["force"]:
            raise CommandError(
                "seed_demo creates logins with a published password: it refuses to run in "
                "production mode (DEBUG=false). Pass --force for a throw-away staging copy."
            )
        with transaction.atomic():
            staff = self._staff()
            for platform_id, name, login, target in SHOPS:
                self._shop(platform_id, name, login, target, actor=staff["underwriter"])
        with transaction.atomic():  # all or nothing: a failed run is simply run again
            if self._simulate():
                merchant = get_user_model().objects.get(username=SHOPS[0][2])
                DemoClaims(SHOPS[0][0], reviewer=staff["reviewer"], merchant=merchant).drive()
        with transaction.atomic():
            self._invoices(staff)
        seed_demo_callbacks(write=self.stdout.write)  # R110-R113: delivered and retried
        self._print_demo_data()
        self._print_logins(base_url)

    def _staff(self):
        User = get_user_model()
        users = {}
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()
        for username, group_name, _label in STAFF:
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": True}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            user.groups.add(Group.objects.get(name=group_name))
            users[username] = user
        return users

    def _shop(self, platform_id, name, login, target, *, actor):
        User = get_user_model()
        shop = Shop.objects.filter(platform_shop_id=platform_id).first()
        if shop is None:
            with days_ago(ENROLLED_DAYS_AGO if target in ("active", "exited") else 0):
                services.invitation_create(
                    platform_shop_id=platform_id,
                    shop_name=name,
                    contact_email=login,
                    expires_at=timezone.now() + dt.timedelta(days=30),
                    actor=actor,
                    note="demo",
                )
                shop = Shop.objects.get(platform_shop_id=platform_id)
                merchant = User.objects.get(username=login)
                merchant.set_password(DEMO_PASSWORD)
                merchant.save()
                if target != "invited":
                    self._advance(shop, merchant, target, actor=actor)
            if target == "exited":
                services.enrollment_request_exit(
                    shop=shop, actor=merchant, reason="Demo: pausing the program"
                )
                enrollment = shop.enrollments.get(state=EnrollmentState.EXIT_REQUESTED)
                services.enrollment_exit(enrollment_id=enrollment.pk, actor=actor, note="demo")

    def _advance(self, shop, merchant, target, *, actor):
        enrollment = services.enrollment_apply(
            shop=shop,
            actor=merchant,
            alipay_account="13800138000",
            alipay_name=f"{shop.name}有限公司",  # R114: the payee name on the provider's file
            return_contact="王经理",
            return_phone="0571-88888888",
            return_address=f"杭州市余杭区文一西路 {shop.platform_shop_id[-3:]} 号 {shop.name}",
            accept_terms=True,
        )
        if target == "pending":
            return
        services.enrollment_approve(enrollment_id=enrollment.pk, actor=actor, note="demo")
        if target == "active":
            services.rate_override(
                shop_id=shop.pk,
                rate=Decimal("0.0120"),
                reason="Demo: excellent after-sales record in the pilot",
                actor=actor,
            )

    def _simulate(self) -> bool:
        """The marketplace's orders and refunds, through the signed API in-process (R80-R87).
        Skipped for a shop that already has orders; True if the active shop's ran now."""
        ran = []
        now = timezone.now()
        for platform_id, orders, days, seed in SIMULATIONS:
            if Order.objects.filter(shop__platform_shop_id=platform_id).exists():
                continue
            joined = Enrollment.objects.filter(
                shop__platform_shop_id=platform_id, effective_at__isnull=False
            ).aggregate(first=Min("effective_at"))["first"]
            if joined is None or joined > now - dt.timedelta(days=days):
                self.stderr.write(
                    f"demo: {platform_id} joined the program less than {days} days ago (a "
                    "database seeded by an older seed_demo): its simulated orders would not be "
                    "insured (R20), so none are made. For the full demo, delete db.sqlite3 and "
                    "media/ and run bin/demo again."
                )
                continue
            market = simulator.Marketplace(
                shops={platform_id: 1.0},
                orders=orders,
                days=days,
                seed=seed,
                now=now,
                prefix=f"DEMO{seed}",
                refund_rate=0.3,
            )
            progress = sys.stderr if sys.stderr.isatty() else None
            simulator.play(simulator.InProcessTransport(), market, progress=progress)
            ran.append(platform_id)
        return SHOPS[0][0] in ran

    def _invoices(self, staff):
        """R70-R75: the active shop's invoice requests in every state, one overdue."""
        seed_demo_invoices(
            shop=Shop.objects.get(platform_shop_id=SHOPS[0][0]),
            merchant=get_user_model().objects.get(username=SHOPS[0][2]),
            finance=staff["finance"],
            write=self.stderr.write,
        )

    def _print_demo_data(self):
        states = Counter(Claim.objects.values_list("state", flat=True))
        self.stdout.write(
            f"Demo data: {Order.objects.count()} orders, {Policy.objects.count()} policies, "
            f"{Claim.objects.count()} claims ("
            + ", ".join(f"{s} {states[s]}" for s in LASTING_STATES)
            + ")"
        )
        invoices = list(InvoiceRequest.objects.all())
        by_state = Counter(i.state for i in invoices)
        self.stdout.write(
            f"Invoice requests: {len(invoices)} ("
            + ", ".join(f"{s} {by_state[s]}" for s in InvoiceState.values)
            + f"; overdue {sum(i.is_overdue for i in invoices)})"
        )

    def _print_logins(self, base_url):
        out = self.stdout.write
        out("")
        out(self.style.SUCCESS("Warranty+ demo is ready."))
        out(f"  Merchant portal : {base_url}/")
        out(f"  Insurer admin   : {base_url}/admin/")
        out(f"  Password for every login below: {DEMO_PASSWORD}")
        for platform_id, name, login, _target in SHOPS:
            shop = Shop.objects.get(platform_shop_id=platform_id)
            state = selectors.enrollment_open(shop=shop)
            label = (
                state.state
                if state
                else (
                    "exited"
                    if shop.enrollments.filter(state=EnrollmentState.EXITED).exists()
                    else "invited"
                )
            )
            out(f"  merchant {label:<8} {login:<24} {name}")
        for username, _group, label in STAFF:
            out(f"  staff             {username:<24} {label}")
        out(f"  staff             {'admin':<24} superuser")
