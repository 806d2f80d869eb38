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
