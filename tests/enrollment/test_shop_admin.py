"""R100/R101: who an underwriter may bind to a shop as its merchant user, in the shop admin."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Merchant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def bind(client, shop, user):
    """POST the shop's change form as it stands, with `user` added as a merchant user."""
    created = timezone.localtime(shop.created_at)
    existing = list(shop.merchants.order_by("pk"))
    data = {
        "platform_shop_id": shop.platform_shop_id,
        "name": shop.name,
        "industry": shop.industry,
        "created_at_0": created.strftime("%Y-%m-%d"),
        "created_at_1": created.strftime("%H:%M:%S"),
        "merchants-TOTAL_FORMS": str(len(existing) + 1),
        "merchants-INITIAL_FORMS": str(len(existing)),
        "merchants-MIN_NUM_FORMS": "0",
        "merchants-MAX_NUM_FORMS": "1000",
        f"merchants-{len(existing)}-user": str(user.pk),
        f"merchants-{len(existing)}-shop": str(shop.pk),
    }
    for i, merchant in enumerate(existing):
        data |= {
            f"merchants-{i}-id": str(merchant.pk),
            f"merchants-{i}-shop": str(shop.pk),
            f"merchants-{i}-user": str(merchant.user_id),
        }
    for prefix, count in (("enrollments", shop.enrollments.count()), ("rates", shop.rates.count())):
        data |= {
            f"{prefix}-TOTAL_FORMS": str(count),
            f"{prefix}-INITIAL_FORMS": str(count),
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    return client.post(reverse("admin:enrollment_shop_change", args=[shop.pk]), data)


def user_errors(response) -> list:
    """The errors shown beside the user field of the merchant inline (ValidationErrors)."""
    (inline,) = [
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "merchants"
    ]
    return [
        error for form in inline.formset.forms for error in form.errors.as_data().get("user", [])
    ]


def test_R101_an_underwriter_binds_a_plain_user_as_a_merchant_of_a_shop(client, uma, alice):
    shop = alice.merchant.shop
    colleague = UserFactory(username="alice2@shop-a.cn")
    client.force_login(uma)

    response = bind(client, shop, colleague)

    assert response.status_code == 302
    assert Merchant.objects.get(user=colleague).shop == shop


def test_R101_the_shop_admin_refuses_to_bind_a_staff_user_as_a_merchant(client, uma, rita, alice):
    shop = alice.merchant.shop
    client.force_login(uma)

    response = bind(client, shop, rita)

    assert response.status_code == 200
    assert [error.code for error in user_errors(response)] == ["staff"]
    assert not Merchant.objects.filter(user=rita).exists()


def test_R101_the_shop_admin_refuses_to_bind_a_superuser_as_a_merchant(client, uma, alice):
    shop = alice.merchant.shop
    root = UserFactory(username="root", is_superuser=True)
    client.force_login(uma)

    response = bind(client, shop, root)

    assert response.status_code == 200
    assert [error.code for error in user_errors(response)] == ["staff"]
    assert not Merchant.objects.filter(user=root).exists()


def test_R100_R101_the_shop_admin_refuses_a_user_who_is_another_shops_merchant(
    client, uma, alice, bob
):
    shop = alice.merchant.shop
    client.force_login(uma)

    response = bind(client, shop, bob)

    assert response.status_code == 200
    (error,) = user_errors(response)
    assert error.code == "other_shop"
    assert "乙店" in error.messages[0]  # the message names the shop the user belongs to
    assert Merchant.objects.get(user=bob).shop.name == "乙店"


def test_R101_a_staff_user_fails_the_merchant_models_own_validation(rita, alice):
    # Any ModelForm or full_clean, not only the shop admin's, refuses staff (limit_choices_to).
    with pytest.raises(ValidationError) as error:
        Merchant(user=rita, shop=alice.merchant.shop).full_clean()
    assert "user" in error.value.message_dict
