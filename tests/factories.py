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


def make_orders(client, shop, n, *, refunds=True, prefix="O"):
    """Sends `n` orders O0..O(n-1) of `shop`, placed, shipped and received (`order_story`),
    each with a refund request R<order> unless `refunds` is false: the odd ones returns
    (return_and_refund), the even ones refund only; reason `other` (not covered) for every
    fifth, quality_issue otherwise. Buyers buyer0..buyer6 in turn."""
    from tests.platform_api import events as ev

    events = []
    for i in range(n):
        order = f"{prefix}{i}"
        events += order_story(order, shop.platform_shop_id, buyer=f"buyer{i % 7}")
        if refunds:
            kind = "return_and_refund" if i % 2 else "refund_only"
            reason = "other" if i % 5 == 4 else "quality_issue"
            events.append(
                ev.refund_requested(
                    f"R{prefix}{i}",
                    order,
                    kind=kind,
                    reason=reason,
                    evidence=[("p.png", ev.png_bytes())],
                )
            )
    for start in range(0, len(events), 500):
        ev.send(client, *events[start : start + 500])


def return_shipped_back(client, reviewer, refund_id="RO1"):
    """The return `refund_id` (an odd one of `make_orders`) approved by `reviewer` and shipped
    back by the buyer: the merchant may now confirm or refuse receipt (R34). The claim."""
    from claims.models import Claim
    from claims.services import decisions
    from tests.platform_api import events as ev

    claim = Claim.objects.get(refund__platform_refund_id=refund_id)
    decisions.claim_approve(claim_id=claim.pk, actor=reviewer)
    ev.send(client, ev.return_shipped(refund_id))
    return Claim.objects.get(pk=claim.pk)
