"""Payouts owed to two shops, for the batch tests (R114, R115)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from claims.models import Claim, Payout
from claims.services import decisions
from tests.conftest import ENROLLED_SINCE, enroll
from tests.factories import order_story
from tests.platform_api import events as ev

# refund amounts that add up only when every fen is kept (R1)
AMOUNTS = {"甲": ["33.33", "66.67", "100.01"], "乙": ["0.01"]}


def paid_claims(client, shop, reviewer, amounts, prefix):
    """Refund-only claims of `shop` for these amounts, approved: each is paid (R35), so
    each leaves one pending payout."""
    events = []
    for i, amount in enumerate(amounts):
        order = f"{prefix}{i}"
        events += order_story(
            order,
            shop.platform_shop_id,
            buyer=f"{prefix}buyer{i}",
            refund_id=f"R{order}",
            amount=amount,
        )
    results = ev.send(client, *events)
    assert {r["status"] for r in results} == {"applied"}, results
    for claim in Claim.objects.filter(refund__platform_refund_id__startswith=f"R{prefix}"):
        decisions.claim_approve(claim_id=claim.pk, actor=reviewer)


@pytest.fixture
def other_shop(bob, uma):
    """Bob's shop, enrolled since 1 May 2026 like alice's."""
    with time_machine.travel(dt.datetime.fromisoformat(ENROLLED_SINCE), tick=False):
        enroll(bob, uma, alipay_account="bob@shop-b.cn", alipay_name="乙店电器")
    return bob.merchant.shop


@pytest.fixture
def owed(client, shop, other_shop, rita):
    """Four pending payouts: 33.33, 66.67 and 100.01 to alice's shop, 0.01 to bob's."""
    paid_claims(client, shop, rita, AMOUNTS["甲"], "A")
    paid_claims(client, other_shop, rita, AMOUNTS["乙"], "B")
    translation.activate("en")  # the requests above activated the pages' zh-hans (_english)
    payouts = list(Payout.objects.order_by("amount"))
    assert [p.amount for p in payouts] == sorted(
        Decimal(a) for amounts in AMOUNTS.values() for a in amounts
    )
    return payouts


@pytest.fixture(autouse=True)
def _english():
    """The services' messages in English, as the tests match them (pages pick their own
    language per request; the event API answers in English)."""
    with translation.override("en"):
        yield
