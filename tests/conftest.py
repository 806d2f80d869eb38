"""Personas, created once per test: alice runs an invited shop, bob another shop;
uma underwrites, rita reviews claims, fiona does finance."""

import pytest
from django.contrib.auth.models import Group

from enrollment import services
from portal.groups import CLAIM_REVIEWER, FINANCE, UNDERWRITER
from tests.factories import InvitationFactory, MerchantFactory, UserFactory

PASSWORD = "correct horse battery staple"

APPLICATION = {
    "alipay_account": "13800138000",
    "return_contact": "王经理",
    "return_phone": "0571-88888888",
    "return_address": "浙江省杭州市余杭区文一西路 969 号",
    "accept_terms": True,
}


def _staff(username, group_name):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def uma(db):
    return _staff("uma", UNDERWRITER)


@pytest.fixture
def rita(db):
    return _staff("rita", CLAIM_REVIEWER)


@pytest.fixture
def fiona(db):
    return _staff("fiona", FINANCE)


@pytest.fixture
def alice(db):
    """Merchant of an invited shop (not applied yet)."""
    merchant = MerchantFactory(user__username="alice@shop-a.cn", shop__name="甲店")
    InvitationFactory(shop=merchant.shop)
    return merchant.user


@pytest.fixture
def bob(db):
    """Merchant of another invited shop."""
    merchant = MerchantFactory(user__username="bob@shop-b.cn", shop__name="乙店")
    InvitationFactory(shop=merchant.shop)
    return merchant.user


def apply(user, **overrides):
    return services.enrollment_apply(
        shop=user.merchant.shop, actor=user, **{**APPLICATION, **overrides}
    )


def enroll(user, underwriter):
    """Apply and approve: the shop's service is active."""
    enrollment = apply(user)
    return services.enrollment_approve(enrollment_id=enrollment.pk, actor=underwriter)


@pytest.fixture
def active_alice(alice, uma):
    enroll(alice, uma)
    return alice


ENROLLED_SINCE = "2026-05-01T09:00:00+08:00"


@pytest.fixture
def shop(alice, uma):
    """Alice's shop, enrolled since 1 May 2026 at the base rate 1.50%."""
    import datetime as dt

    import time_machine

    with time_machine.travel(dt.datetime.fromisoformat(ENROLLED_SINCE), tick=False):
        enroll(alice, uma)
    return alice.merchant.shop
