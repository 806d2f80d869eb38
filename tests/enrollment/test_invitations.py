"""R10: underwriters invite shops; the contact gets a merchant login and an e-mail."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from enrollment import selectors, services
from enrollment.models import Invitation, Shop
from tests.conftest import apply

pytestmark = pytest.mark.django_db


def invite(uma, **overrides):
    params = {
        "platform_shop_id": "TM-300001",
        "shop_name": "新店",
        "contact_email": "Owner@New-Shop.cn",
        "expires_at": timezone.now() + dt.timedelta(days=30),
        "actor": uma,
    }
    return services.invitation_create(**{**params, **overrides})


def test_R10_inviting_a_new_shop_creates_it_with_a_merchant_login(
    uma, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(uma)

    shop = Shop.objects.get(platform_shop_id="TM-300001")
    user = get_user_model().objects.get(username="owner@new-shop.cn")
    assert invitation.shop == shop and invitation.invited_by == uma
    assert user.merchant.shop == shop
    assert not user.has_usable_password()
    assert selectors.invitation_live(shop=shop) == invitation


def test_R10_the_contact_gets_an_e_mail_with_a_link_to_set_a_password(
    uma, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(uma)

    (message,) = mail.outbox
    assert message.to == ["owner@new-shop.cn"]
    assert "新店" in message.subject
    link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line)
    path = link.split("8000", 1)[1].strip()
    response = client.get(path, follow=True)
    assert response.status_code == 200
    assert response.context["validlink"] is True


def test_R10_no_e_mail_leaves_before_the_invitation_is_committed(
    uma, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invite(uma)

    assert len(callbacks) == 1
    assert mail.outbox == []


def test_R10_an_invitation_must_expire_in_the_future(uma):
    with pytest.raises(ValidationError) as error:
        invite(uma, expires_at=timezone.now() - dt.timedelta(minutes=1))

    assert "expires_at" in error.value.message_dict
    assert not Shop.objects.exists()


def test_R10_a_shop_with_a_running_service_cannot_be_invited_again(active_alice, uma):
    shop = active_alice.merchant.shop

    with pytest.raises(ValidationError):
        invite(uma, platform_shop_id=shop.platform_shop_id, contact_email="alice@shop-a.cn")

    assert Invitation.objects.filter(shop=shop).count() == 1


def test_R10_R100_a_contact_e_mail_of_another_shop_is_refused(alice, uma):
    with pytest.raises(ValidationError) as error:
        invite(uma, contact_email="alice@shop-a.cn")

    assert "contact_email" in error.value.message_dict
    assert not Shop.objects.filter(platform_shop_id="TM-300001").exists()


def test_R10_re_inviting_a_shop_reuses_its_merchant_login(alice, uma):
    shop = alice.merchant.shop
    first = apply(alice)
    services.enrollment_reject(enrollment_id=first.pk, actor=uma, reason="x")

    invite(
        uma,
        platform_shop_id=shop.platform_shop_id,
        shop_name=shop.name,
        contact_email="alice@shop-a.cn",
    )

    assert get_user_model().objects.filter(username="alice@shop-a.cn").count() == 1
    assert Invitation.objects.filter(shop=shop).count() == 2


def test_R10_an_invitation_turned_into_a_service_is_no_longer_live(active_alice):
    assert selectors.invitation_live(shop=active_alice.merchant.shop) is None
