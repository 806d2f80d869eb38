"""factory-boy factories. States other than the first are reached through the services in
tests; these factories build the starting rows."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from enrollment.models import Invitation, Merchant, Shop


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.LazyAttribute(lambda u: u.username)
    password = factory.django.Password("correct horse battery staple")


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop

    platform_shop_id = factory.Sequence(lambda n: f"TM-{200000 + n}")
    name = factory.Sequence(lambda n: f"测试电器店 {n}")


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    user = factory.SubFactory(UserFactory)
    shop = factory.SubFactory(ShopFactory)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    shop = factory.SubFactory(ShopFactory)
    contact_email = factory.Sequence(lambda n: f"contact{n}@example.com")
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=30))


def asked_at(requested_at) -> dict:
    """`order_story`'s times for a refund asked at `requested_at` on an order placed 5 days
    before, shipped 1 h and received 1 day after it was placed."""
    placed = requested_at - dt.timedelta(days=5)
    return {
        "placed_at": placed,
        "shipped_at": placed + dt.timedelta(hours=1),
        "received_at": placed + dt.timedelta(days=1),
        "requested_at": requested_at,
    }


def order_story(
    order_id,
    shop_id,
    *,
    buyer=None,
    tier=None,
    lines=None,
    placed_at=None,
    shipped_at=None,
    received_at=None,
    refund_id=None,
    requested_at=None,
    **refund,
) -> list[dict]:
    """The tests' preamble as platform events: the order placed in the shop, shipped and
    received, then, when `refund_id` is given, a refund asked for on it (`refund` are
    `refund_requested`'s keywords). What is not given keeps the events' defaults (one
    199.00 kettle placed at T0, shipped 5 h and received 2 days later, asked on day 5)."""
    from tests.platform_api import events as ev

    def given(**values):
        return {name: value for name, value in values.items() if value is not None}

    story = [
        ev.order_placed(
            order_id, shop_id, **given(buyer=buyer, tier=tier, at=placed_at, lines=lines)
        ),
        ev.order_shipped(order_id, **given(at=shipped_at)),
        ev.order_received(order_id, **given(at=received_at)),
    ]
    if refund_id is not None:
        story.append(ev.refund_requested(refund_id, order_id, **given(at=requested_at), **refund))
    return story
