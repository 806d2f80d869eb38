"""Issue 11, point 2: every list's filters are judged field by field (R24, R35, R44, R60).
A bad value is an error on its field, in the merchant's language, and the valid filters
still apply, on the page and in its CSV export; lists show their total and sort by time
or amount, the cursor pages following the sort."""

import csv
import io
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from claims.models import Claim
from claims.services import decisions
from portal.pagination import capped_total
from tests.conftest import in_language
from tests.factories import make_orders

pytestmark = pytest.mark.django_db

INVALID_DATE = {"zh-hans": "输入一个有效的日期。", "en": "Enter a valid date."}
TOO_LONG = {
    "zh-hans": "请输入一个单号或买家ID，最多 64 个字符（现在 200 个）。",
    "en": "Search for one id of at most 64 characters (this has 200).",
}
BAD_CHOICE = {
    "zh-hans": "选择一个有效的选项。 foo 不在可用的选项中。",
    "en": "Select a valid choice. foo is not one of the available choices.",
}


def _error_of(body: str, field: str) -> str:
    marker = f'id="id_{field}_error"'
    assert marker in body, field
    return body.split(marker, 1)[1].split("</p>", 1)[0]


def _export_orders(merchant, name, params) -> list[str]:
    response = merchant.get(reverse(name), params)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    return [row[1] for row in rows[1:]]


@pytest.fixture
def paid_o2(client, shop, rita):
    make_orders(client, shop, 3)
    decisions.claim_approve(
        claim_id=Claim.objects.get(refund__platform_refund_id="RO2").pk, actor=rita
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_R24_an_impossible_date_is_an_error_and_the_status_still_filters_page_and_csv(
    merchant, paid_o2, language
):
    params = {"status": "claim_paid", "issued_from": "2026-11-31"}
    response = in_language(merchant, language).get(reverse("claims:policies"), params)

    assert response.status_code == 200
    assert [p.order.platform_order_id for p in response.context["page"]] == ["O2"]
    body = response.content.decode()
    assert INVALID_DATE[language] in _error_of(body, "issued_from")
    assert 'value="2026-11-31"' in body  # what was typed, kept
    assert _export_orders(merchant, "claims:policies_export", params) == ["O2"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_R24_a_200_character_search_is_an_error_and_the_status_still_filters(
    merchant, paid_o2, language
):
    params = {"status": "claim_paid", "q": "x" * 200}
    response = in_language(merchant, language).get(reverse("claims:policies"), params)

    assert [p.order.platform_order_id for p in response.context["page"]] == ["O2"]
    assert TOO_LONG[language] in _error_of(response.content.decode(), "q")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_R44_an_unknown_state_is_an_error_and_the_business_type_still_filters(
    merchant, client, shop, language
):
    make_orders(client, shop, 5)  # RO4's reason is "other": merchant-handled
    params = {"business": "warranty", "state": "foo"}
    response = in_language(merchant, language).get(reverse("claims:refunds"), params)

    listed = [r.platform_refund_id for r in response.context["page"]]
    assert sorted(listed) == ["RO0", "RO1", "RO2", "RO3"]  # RO4 is merchant-handled
    assert BAD_CHOICE[language] in _error_of(response.content.decode(), "state")
    exported = _export_orders(merchant, "claims:refunds_export", params)
    assert sorted(exported) == ["O0", "O1", "O2", "O3"]


def test_R35_payouts_filter_by_the_day_paid_and_a_bad_day_is_said(merchant, client, shop, rita):
    make_orders(client, shop, 2)
    for claim in Claim.objects.filter(kind="refund_only"):
        decisions.claim_approve(claim_id=claim.pk, actor=rita)
    paid = merchant.get(reverse("claims:payouts"))
    day = paid.context["page"].rows[0].paid_at.astimezone(ZoneInfo("Asia/Shanghai")).date()

    later = merchant.get(reverse("claims:payouts"), {"paid_from": day.replace(year=day.year + 1)})
    assert later.context["page"].rows == []
    bad = in_language(merchant, "en").get(reverse("claims:payouts"), {"paid_to": "2026-02-30"})
    assert len(bad.context["page"]) == len(paid.context["page"]) == 1
    assert INVALID_DATE["en"] in _error_of(bad.content.decode(), "paid_to")


def test_R60_feedback_filters_by_outcome_and_a_bad_outcome_is_said(merchant, client, shop):
    from claims.models import Policy

    make_orders(client, shop, 1, refunds=False)
    policy = Policy.objects.get()
    merchant.post(
        reverse("claims:policy_report", args=[policy.pk]),
        {"category": "other", "description": "x"},
    )

    assert len(merchant.get(reverse("claims:feedback"), {"state": "open"}).context["page"]) == 1
    assert merchant.get(reverse("claims:feedback"), {"state": "upheld"}).context["page"].rows == []
    bad = in_language(merchant, "zh-hans").get(
        reverse("claims:feedback"), {"state": "foo", "category": "other"}
    )
    assert len(bad.context["page"]) == 1
    assert BAD_CHOICE["zh-hans"] in _error_of(bad.content.decode(), "state")


@pytest.mark.parametrize(("language", "total"), [("zh-hans", "共 3 条"), ("en", "3 in total")])
def test_lists_show_their_total(merchant, client, shop, language, total):
    make_orders(client, shop, 3)
    for name in ("claims:policies", "claims:refunds"):
        body = in_language(merchant, language).get(reverse(name)).content.decode()
        assert f'data-testid="list-total">{total}</p>' in body, name


def test_the_total_is_counted_up_to_its_cap(shop, client):
    make_orders(client, shop, 4, refunds=False)
    assert capped_total(shop.policies.all(), cap=3) == (3, True)
    assert capped_total(shop.policies.all(), cap=4) == (4, False)


def test_R24_policies_sort_by_premium_both_ways_and_page_in_that_order(merchant, client, shop):
    make_orders(client, shop, 60, refunds=False)
    premiums = {}
    for i, policy in enumerate(shop.policies.order_by("id")):
        policy.premium = f"{(i * 37) % 61}.50"  # distinct, not in the order of issue
        policy.save(update_fields=["premium"])
        premiums[policy.pk] = policy.premium

    def walk(sort):
        seen, url = [], reverse("claims:policies") + f"?sort={sort}"
        while url:
            page = merchant.get(url).context["page"]
            seen += [row.premium for row in page]
            url = reverse("claims:policies") + page.next_url if page.next_url else None
        return [str(p) for p in seen]

    largest_first = walk("amount_desc")
    assert largest_first == sorted(largest_first, key=float, reverse=True)
    assert len(largest_first) == 60
    assert walk("amount_asc") == list(reversed(largest_first))
    oldest = merchant.get(reverse("claims:policies"), {"sort": "oldest"}).context["page"]
    assert [r.pk for r in oldest][:3] == sorted(premiums)[:3]


def test_R44_refunds_sort_by_amount_and_the_header_link_turns_the_order(merchant, client, shop):
    from claims.models import RefundRequest

    make_orders(client, shop, 4)

    for i, refund in enumerate(RefundRequest.objects.filter(shop=shop).order_by("id")):
        RefundRequest.objects.filter(pk=refund.pk).update(amount=f"{10 + ((i * 3) % 7)}.00")
    response = merchant.get(
        reverse("claims:refunds"), {"sort": "amount_asc", "business": "warranty"}
    )
    amounts = [r.amount for r in response.context["page"]]
    assert amounts == sorted(amounts) and len(amounts) == 4
    body = response.content.decode()
    assert 'aria-sort="ascending"' in body
    assert "?business=warranty&amp;sort=amount_desc" in body  # the header turns it round


def test_a_cursor_of_another_sort_gives_the_first_page_not_an_error(merchant, client, shop):
    make_orders(client, shop, 2, refunds=False)
    response = merchant.get(
        reverse("claims:policies"), {"sort": "amount_desc", "after": "1780000000.000000_5"}
    )
    assert response.status_code == 200 and len(response.context["page"]) == 2
    odd = merchant.get(reverse("claims:policies"), {"after": "nNaN_1"})
    assert odd.status_code == 200 and len(odd.context["page"]) == 2


@pytest.mark.parametrize(
    ("sort", "label"), [("", "Older →"), ("oldest", "Newer →"), ("amount_desc", "Next page →")]
)
def test_the_pager_says_where_its_link_goes_in_each_sort(merchant, client, shop, sort, label):
    make_orders(client, shop, 51, refunds=False)

    response = in_language(merchant, "en").get(reverse("claims:policies"), {"sort": sort})
    body = response.content.decode()

    assert f'rel="next">{label}</a>' in body
