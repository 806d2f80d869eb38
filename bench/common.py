"""What the benchmark scripts share: an enrolled shop to send events for."""

import datetime as dt


def enroll_bench_shop(
    *, platform_shop_id: str, shop_name: str, contact_email: str, underwriter: str
):
    """Migrate, then invite, apply and approve the shop 60 days ago (through the services),
    so that orders placed in the recent past are insured (R20). Returns its merchant user."""
    import time_machine
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.utils import timezone

    from enrollment import services
    from enrollment.models import Shop
    from portal.groups import UNDERWRITER

    call_command("migrate", verbosity=0)
    staff = get_user_model().objects.create_user(underwriter, is_staff=True)
    staff.groups.add(Group.objects.get(name=UNDERWRITER))  # approving needs its permission (R101)
    with time_machine.travel(timezone.now() - dt.timedelta(days=60), tick=True):
        services.invitation_create(
            platform_shop_id=platform_shop_id,
            shop_name=shop_name,
            contact_email=contact_email,
            expires_at=timezone.now() + dt.timedelta(days=30),
            actor=staff,
        )
        shop = Shop.objects.get(platform_shop_id=platform_shop_id)
        merchant = shop.merchants.get().user
        enrollment = services.enrollment_apply(
            shop=shop,
            actor=merchant,
            alipay_account="13800138000",
            alipay_name=f"{shop.name}有限公司",  # R114: the payee name on the provider's file
            return_contact="王经理",
            return_phone="0571-88888888",
            return_address="杭州市余杭区文一西路 1 号",
            accept_terms=True,
        )
        services.enrollment_approve(enrollment_id=enrollment.pk, actor=staff)
    return merchant
