"""portal.rawsql.JoinedRead writes a select_related read once per database (issue 10); what
it reads is what the ORM's select_related reads, related caches and missing rows included.
The claim page reads its claim this way (claims.selectors.CLAIM_PAGE), scoped by shop (R100)."""

import datetime as dt

import pytest
from django.core.exceptions import ObjectDoesNotExist

from claims import selectors
from claims.models import Claim, ClaimState, Policy
from claims.selectors import CLAIM_PAGE
from claims.services import decisions
from enrollment.models import PremiumRate
from enrollment.selectors import rates_for_shop, rates_latest
from portal import audit
from portal.rawsql import JoinedRead
from tests.factories import make_orders

pytestmark = pytest.mark.django_db

RELATED = ("refund", "refund__order", "refund__line", "payout", "compensation")


def _fields(instance):
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def _related(claim) -> dict:
    """Each related object as select_related left it: its fields, or None if missing."""
    seen = {}
    for path in RELATED:
        obj = claim
        for name in path.split("__"):
            obj = getattr(obj, name, None)
        seen[path] = None if obj is None else _fields(obj)
    return seen


@pytest.fixture
def claims(client, shop, rita):
    """Four claims of alice's shop: RO0 approved and paid (a payout, no return), the rest
    in review (no payout, no compensation)."""
    make_orders(client, shop, 4)
    paid = Claim.objects.get(refund__platform_refund_id="RO0")
    decisions.claim_approve(claim_id=paid.pk, actor=rita)
    return Claim.objects.filter(shop=shop).order_by("pk")


def test_the_claim_page_reads_each_claim_as_the_orms_select_related_does(
    claims, shop, django_assert_num_queries
):
    paid = 0
    for expected in claims.select_related(*RELATED):
        with django_assert_num_queries(1):
            got = CLAIM_PAGE.get(expected.pk, shop.pk)
            assert _related(got) == _related(expected)  # no more query: each one cached
            assert got.refund.claim is got  # a one-to-one's other side, as select_related
        assert _fields(got) == _fields(expected)
        assert got._state.db == "default" and not got._state.adding
        paid += getattr(got, "payout", None) is not None
    assert paid == 1


def test_a_missing_reverse_one_to_one_reads_as_missing(claims, shop, django_assert_num_queries):
    in_review = claims.get(refund__platform_refund_id="RO1")
    got = CLAIM_PAGE.get(in_review.pk, shop.pk)
    with django_assert_num_queries(0), pytest.raises(ObjectDoesNotExist):
        got.payout  # noqa: B018 (the attribute's read is the test)
    assert getattr(got, "compensation", None) is None


def test_another_shops_claim_or_an_unknown_id_reads_as_nothing(claims, shop):
    claim = claims.first()
    assert CLAIM_PAGE.get(claim.pk, shop.pk + 1000) is None
    assert CLAIM_PAGE.get(claim.pk + 1000, shop.pk) is None


def test_a_many_valued_relation_is_refused():
    with pytest.raises(ValueError, match="no single related object"):
        JoinedRead(Claim, "evidence", where=("pk",)).get(1)


def test_a_timeline_reads_as_the_orms_in_order_with_its_actors(claims, django_assert_num_queries):
    paid = claims.get(refund__platform_refund_id="RO0")
    expected = list(audit.timeline(paid))
    with django_assert_num_queries(1):
        got = audit.timeline_entries(paid)
        actors = [(e.by_id, e.by and hasattr(e.by, "merchant")) for e in got]
    assert len(got) >= 2  # submitted, then the insurer's approval
    assert [_fields(e) for e in got] == [_fields(e) for e in expected]
    assert actors == [(e.by_id, e.by and hasattr(e.by, "merchant")) for e in expected]
    assert [e.pk for e in got] == sorted(e.pk for e in got)


def test_the_dashboards_first_returns_are_the_querysets_first_ten_in_order(client, shop):
    """A limit and an order of two fields; ties on the due time fall to the id."""
    make_orders(client, shop, 28)  # 22 covered requests: 22 claims
    claims = list(Claim.objects.filter(shop=shop).order_by("pk"))
    due = claims[0].submitted_at
    for i, claim in enumerate(claims[:14]):  # a read's test: the state set directly
        Claim.objects.filter(pk=claim.pk).update(
            state=ClaimState.RETURN_SHIPPED, receipt_due_at=due + dt.timedelta(hours=14 - i // 2)
        )
    expected = list(selectors.claims_awaiting_merchant(shop=shop)[:10])
    got = selectors.claims_awaiting_merchant_first(shop=shop)
    assert [c.pk for c in got] == [c.pk for c in expected] and len(got) == 10
    assert [c.refund.order.platform_order_id for c in got] == [
        c.refund.order.platform_order_id for c in expected
    ]


def test_the_latest_rates_are_the_querysets_newest_first(shop):
    first = rates_for_shop(shop_id=shop.pk).last()
    for days in (30, 60, 60, 90):  # two on the same day: the later id first
        PremiumRate.objects.create(
            shop=shop,
            rate=first.rate,
            effective_from=first.effective_from + dt.timedelta(days=days),
            source=first.source,
            reason="test",
        )
    rates = list(rates_for_shop(shop_id=shop.pk))
    assert len(rates) >= 5
    for count in (1, 3, 12):
        got = rates_latest(shop_id=shop.pk, count=count)
        assert [r.pk for r in got] == [r.pk for r in rates[:count]]


def test_the_policy_page_reads_its_policy_lines_and_claims_as_the_orm(claims, shop):
    for policy in Policy.objects.filter(shop=shop).select_related("order__buyer"):
        got = selectors.POLICY_PAGE.get(policy.pk, shop.pk)
        assert _fields(got) == _fields(policy)
        assert _fields(got.order) == _fields(policy.order)
        assert _fields(got.order.buyer) == _fields(policy.order.buyer)
        lines = [_fields(line) for line in policy.order.lines.order_by("id")]
        assert [_fields(line) for line in selectors.policy_page_lines(got)] == lines
        expected = policy.claims.select_related("refund").order_by("-submitted_at", "-id")
        assert [(_fields(c), _fields(c.refund)) for c in selectors.policy_page_claims(got)] == [
            (_fields(c), _fields(c.refund)) for c in expected
        ]
    assert selectors.POLICY_PAGE.get(policy.pk, shop.pk + 1000) is None
