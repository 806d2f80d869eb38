"""Demo data: staff personas and shops in every enrollment state. Idempotent."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from enrollment import selectors, services
from enrollment.models import EnrollmentState, Shop
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


class Command(BaseCommand):
    help = "Create the demo's users and shops (idempotent) and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    @override_settings(
        MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    )
    def handle(self, *args, base_url, **options):
        with transaction.atomic():
            staff = self._staff()
            for platform_id, name, login, target in SHOPS:
                self._shop(platform_id, name, login, target, actor=staff["underwriter"])
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

    def _advance(self, shop, merchant, target, *, actor):
        enrollment = services.enrollment_apply(
            shop=shop,
            actor=merchant,
            alipay_account="13800138000",
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
        elif target == "exited":
            services.enrollment_request_exit(
                shop=shop, actor=merchant, reason="Demo: pausing the program"
            )
            services.enrollment_exit(enrollment_id=enrollment.pk, actor=actor, note="demo")

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
