"""Demo data: staff personas, shops in every enrollment state, and the marketplace's orders,
refunds and claims (played through the signed event API by the simulator). Idempotent."""

import datetime as dt
import random
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
from claims.models import (
    Claim,
    ClaimState,
    FeedbackCategory,
    Order,
    Policy,
    PolicyClaimStatus,
    ServiceBreach,
)
from claims.services import decisions, feedback, refunds
from claims.services.sweep import sweep_deadlines
from enrollment import selectors, services
from enrollment.models import Enrollment, EnrollmentState, Shop
from invoicing.demo import seed_demo_invoices
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
REJECTIONS = [
    "图片无法证明存在质量问题，请与商家协商",
    "申请原因与描述不符：商品为人为损坏",
]


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


def _after(instant: dt.datetime, hours: float, now: dt.datetime) -> dt.datetime:
    return min(instant + dt.timedelta(hours=hours), now)


class DemoClaims:
    """Takes some simulated claims of the active shop through the reviewer's and merchant's
    services so the demo shows every lasting R41 state, overdue reviews, a paid policy
    (理赔成功) and abnormal-buyer feedback. Other claims stay as the simulation left them."""

    def __init__(self, platform_id: str, *, reviewer, merchant):
        self.shop = Shop.objects.get(platform_shop_id=platform_id)
        self.reviewer, self.merchant = reviewer, merchant
        self.now = timezone.now()
        self.rng = random.Random(2026)

    def drive(self) -> None:
        waiting = list(
            Claim.objects.filter(shop=self.shop, state=ClaimState.SUBMITTED).order_by(
                "submitted_at", "pk"
            )
        )
        used = self._returns([c for c in waiting if c.kind == "return_and_refund"])
        paid = [c for c in waiting if c.kind == "refund_only"][:1]
        for claim in paid:  # approved, refunded and paid in one request (R35)
            self._approve(claim, at=_after(claim.submitted_at, 3, self.now))
        rest = [c for c in waiting if c not in used and c not in paid]
        for claim, reason in zip(rest, REJECTIONS, strict=False):
            decisions.claim_reject(
                claim_id=claim.pk,
                actor=self.reviewer,
                reason=reason,
                at=_after(claim.submitted_at, 5, self.now),
            )
        self._ensure_cancelled(rest[len(REJECTIONS) :])
        # R33 timeouts, R38 late receipts; what is left in review past 24 h is flagged overdue;
        # a receipt deadline within a day is told to the merchant (issue 11)
        sweep_deadlines(now=self.now)
        self._settle_one_breach()
        self._feedback()
        self._ensure_paid_policy()

    def _returns(self, returns: list[Claim]) -> list[Claim]:
        """Oldest first: closed for no return in time; received and paid; receipt refused
        (left for the insurer, upheld, overruled); shipped with its receipt deadline within
        a day (issue 11). The newest two are decided now, so their
        deadlines lie ahead: a return on its way, and one awaited."""
        older, newest = returns[:-2], returns[-2:]
        steps = list(
            zip(
                ["timeout", "confirm", "refuse", "uphold", "overrule", "due_soon"],
                older,
                strict=False,
            )
        )
        steps += list(zip(["shipped", "awaiting"], newest, strict=False))
        for step, claim in steps:
            getattr(self, f"_return_{step}")(claim)
        return [claim for _step, claim in steps]

    def _approve(self, claim: Claim, *, at=None) -> None:
        decisions.claim_approve(
            claim_id=claim.pk, actor=self.reviewer, note="图片清楚，质量问题属实", at=at
        )

    def _ship(self, claim: Claim, *, at) -> None:
        decisions.claim_ship_return(
            claim_id=claim.pk,
            carrier="顺丰速运",
            tracking_number=f"SF{self.rng.randrange(10**11, 10**12)}",
            at=at,
        )

    def _backdated_return(self, claim: Claim) -> dt.datetime:
        """Approved 3 h after submission, shipped a day later; returns the shipping time."""
        approved = _after(claim.submitted_at, 3, self.now)
        self._approve(claim, at=approved)
        shipped = _after(approved, 26, self.now)
        self._ship(claim, at=shipped)
        return shipped

    def _return_timeout(self, claim: Claim) -> None:
        # approved long ago: the 7-day tracking deadline has passed; the sweep closes it (R33)
        self._approve(claim, at=_after(claim.submitted_at, 3, self.now))

    def _return_confirm(self, claim: Claim) -> None:
        shipped = self._backdated_return(claim)
        decisions.claim_confirm_receipt(
            claim_id=claim.pk, actor=self.merchant, at=_after(shipped, 48, self.now)
        )

    def _refuse(self, claim: Claim, ground: str, note: str) -> None:
        shipped = self._backdated_return(claim)
        decisions.claim_refuse_receipt(
            claim_id=claim.pk,
            actor=self.merchant,
            ground=ground,
            note=note,
            evidence=[simulator.image_evidence(self.rng, f"parcel-{claim.pk}")],
            at=_after(shipped, 48, self.now),
        )

    def _return_refuse(self, claim: Claim) -> None:
        self._refuse(claim, "empty_parcel", "收到的是空箱，附开箱照片")

    def _return_uphold(self, claim: Claim) -> None:
        self._refuse(claim, "wrong_item", "退回的不是本店商品，序列号不符")
        decisions.claim_uphold_refusal(
            claim_id=claim.pk, actor=self.reviewer, note="序列号与发货记录不符，拒收成立"
        )

    def _return_overrule(self, claim: Claim) -> None:
        self._refuse(claim, "missing_items", "少了配件")
        decisions.claim_overrule_refusal(
            claim_id=claim.pk, actor=self.reviewer, note="配件在箱内夹层，拒收不成立"
        )

    def _return_shipped(self, claim: Claim) -> None:
        self._approve(claim)
        self._ship(claim, at=self.now)

    def _return_due_soon(self, claim: Claim) -> None:
        """Approved and shipped long enough ago that the merchant's receipt deadline falls
        within a day: the sweep's "deadline coming" notification (issue 11)."""
        days = decisions.claim_settings().receipt_days
        approved = max(self.now - dt.timedelta(days=days, hours=-6), claim.submitted_at)
        self._approve(claim, at=approved)
        self._ship(claim, at=_after(approved, 6, self.now))

    def _return_awaiting(self, claim: Claim) -> None:
        self._approve(claim)

    def _settle_one_breach(self) -> None:
        """R38 / seed 4-3: the platform granted one breach's points; it no longer counts."""
        breach = ServiceBreach.objects.filter(shop=self.shop).order_by("recorded_at").first()
        if breach is not None:
            decisions.breach_settle(breach_id=breach.pk, actor=None)

    def _ensure_cancelled(self, candidates: list[Claim]) -> None:
        """The simulated buyers withdraw a few requests; if none did, one withdraws here."""
        if Claim.objects.filter(shop=self.shop, state=ClaimState.CANCELLED).exists():
            return
        if candidates:
            refund = candidates[-1].refund
            refunds.refund_cancel(refund_id=refund.platform_refund_id, at=self.now)

    def _feedback(self) -> None:
        """R60: one report waiting for the insurer, one the insurer upheld."""
        buyers = Counter(
            Claim.objects.filter(shop=self.shop).values_list("buyer_id", flat=True)
        ).most_common()
        claims = [
            Claim.objects.filter(shop=self.shop, buyer_id=buyer).latest("submitted_at")
            for buyer, _n in buyers[:2]
        ]
        if claims:
            feedback.feedback_create(
                shop=self.shop,
                actor=self.merchant,
                category=FeedbackCategory.REPEATED_REQUESTS,
                description="该买家近一个月多次以质量问题申请退款",
                claim=claims[0],
            )
        if len(claims) > 1:
            report = feedback.feedback_create(
                shop=self.shop,
                actor=self.merchant,
                category=FeedbackCategory.PROFITEERING,
                description="买家退回的商品与发出的不一致，疑似调包",
                claim=claims[1],
            )
            feedback.feedback_uphold(
                feedback_id=report.pk, actor=self.reviewer, note="核实属实，已记录"
            )

    def _ensure_paid_policy(self) -> None:
        if not Policy.objects.filter(shop=self.shop, claim_status=PolicyClaimStatus.PAID).exists():
            sys.stderr.write("demo: no policy with a paid claim (理赔成功)\n")
