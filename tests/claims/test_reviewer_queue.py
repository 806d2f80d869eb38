"""The reviewers' claim queue page in the admin (claims/admin_queue.py; R32, R101, issue 10):
the changelist's URL, filters and search, one purpose-built page."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils import translation

from claims import admin_queue
from claims.models import Claim
from tests.claims.test_workbench import QUEUE, queue  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def ids(response):
    return [c.refund.platform_refund_id for c in response.context["cl"].result_list]


def test_R32_filters_combine_and_keep_the_queue_order(client, queue, shop):  # noqa: F811
    assert ids(client.get(QUEUE, {"state__exact": "submitted"})) == ["R1", "R2"]
    assert ids(client.get(QUEUE, {"state__exact": "paid"})) == ["R3"]
    assert ids(client.get(QUEUE, {"overdue": "no"})) == ["R2", "R3"]
    assert ids(client.get(QUEUE, {"overdue": "yes", "reason": "quality_issue"})) == ["R1"]
    assert ids(client.get(QUEUE, {"reason": "not_as_described"})) == []
    assert ids(client.get(QUEUE, {"kind__exact": "refund_only"})) == ["R1", "R2", "R3"]
    assert ids(client.get(QUEUE, {"fast_tracked__exact": "1"})) == []
    assert ids(client.get(QUEUE, {"shop__id__exact": shop.pk, "state__exact": "submitted"})) == [
        "R1",
        "R2",
    ]
    assert ids(client.get(QUEUE, {"shop__id__exact": shop.pk + 1000})) == []


def test_invalid_filter_values_are_ignored(client, queue):  # noqa: F811
    response = client.get(QUEUE, {"state__exact": "nonsense", "overdue": "maybe", "p": "x"})
    assert response.status_code == 200
    assert ids(response) == ["R1", "R2", "R3"]


def test_a_shop_is_chosen_by_its_platform_id(client, queue, shop):  # noqa: F811
    response = client.get(QUEUE, {"shop": shop.platform_shop_id, "overdue": "yes"})
    assert ids(response) == ["R1"]
    assert response.context["cl"].params["shop__id__exact"] == str(shop.pk)
    assert ids(client.get(QUEUE, {"shop": "no-such-shop"})) == []


def test_R32_search_by_exact_ids_within_the_filters(client, queue):  # noqa: F811
    assert ids(client.get(QUEUE, {"q": " O2 "})) == ["R2"]
    assert ids(client.get(QUEUE, {"q": "b1", "state__exact": "submitted"})) == ["R1"]
    assert ids(client.get(QUEUE, {"q": "b3", "state__exact": "submitted"})) == []
    assert ids(client.get(QUEUE, {"q": "O"})) == []  # exact, not a prefix


def test_pages_and_a_capped_count(client, queue, monkeypatch):  # noqa: F811
    monkeypatch.setattr(admin_queue, "PER_PAGE", 1)
    monkeypatch.setattr(admin_queue, "COUNT_CAP", 2)

    first = client.get(QUEUE)
    assert ids(first) == ["R1"]
    assert first.context["cl"].count_capped and first.context["cl"].count == 2
    assert "2+" in first.content.decode()
    assert first.context["cl"].links["next"] == "?p=2"

    second = client.get(QUEUE, {"p": 2})
    assert ids(second) == ["R2"]
    assert second.context["cl"].links["previous"] == "?p=1"
    last = client.get(QUEUE, {"p": 3})
    assert ids(last) == ["R3"] and last.context["cl"].links["next"] is None


def test_rows_link_to_the_claim_page_and_to_the_shop_filter(client, queue, shop):  # noqa: F811
    body = client.get(QUEUE, {"overdue": "yes"}).content.decode()
    claim = queue["R1"]
    assert f'href="/admin/claims/claim/{claim.pk}/change/"' in body
    assert f'href="?overdue=yes&amp;shop__id__exact={shop.pk}"' in body
    assert f'name="{ACTION_CHECKBOX_NAME}" value="{claim.pk}"' in body
    assert 'value="bulk_approve"' in body and 'value="bulk_reject"' in body


def test_values_are_escaped(client, queue, shop):  # noqa: F811
    shop.name = "<script>alert(1)</script>"
    shop.save()
    body = client.get(QUEUE).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_R3_the_page_speaks_chinese_first(client, queue):  # noqa: F811
    with translation.override("zh-hans"):
        body = client.get(QUEUE, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "条理赔" in body  # "3 claims"
    assert "已超时" in body  # the overdue mark (R32)


def test_R101_only_claim_reviewers_see_the_queue(client, queue, fiona, uma, alice):  # noqa: F811
    for user in (fiona, uma):
        client.force_login(user)
        assert client.get(QUEUE).status_code == 403
    client.force_login(alice)  # a merchant: not staff, sent to the admin's login
    assert client.get(QUEUE).status_code == 302
    assert Claim.objects.count() == 3


def test_bulk_actions_keep_the_filters_of_a_shop_chosen_by_its_platform_id(client, queue, shop):  # noqa: F811
    page = client.get(QUEUE, {"shop": shop.platform_shop_id, "state__exact": "submitted"})
    action_url = page.context["action_url"]
    assert action_url == f"?state__exact=submitted&shop__id__exact={shop.pk}"
    data = {"action": "bulk_reject", ACTION_CHECKBOX_NAME: [queue["R1"].pk], "index": 0}

    client.post(QUEUE + action_url, {**data, "confirm": "1", "reason": "照片与商品不符"})

    assert Claim.objects.get(pk=queue["R1"].pk).state == "rejected"


def test_no_count_with_a_filter_no_index_serves(client, queue, monkeypatch):  # noqa: F811
    monkeypatch.setattr(admin_queue, "PER_PAGE", 1)
    response = client.get(QUEUE, {"kind__exact": "refund_only", "p": 2})
    assert ids(response) == ["R2"]
    assert response.context["cl"].count_capped and response.context["cl"].count == 2
    assert "2+" in response.content.decode()  # the rows so far, not a count


def test_the_chosen_shop_is_shown_with_or_without_rows(client, queue, shop):  # noqa: F811
    with_rows = client.get(QUEUE, {"shop__id__exact": shop.pk})
    assert with_rows.context["cl"].shop == shop
    assert with_rows.context["shop_term"] == shop.platform_shop_id
    without_rows = client.get(QUEUE, {"shop__id__exact": shop.pk, "reason": "not_as_described"})
    assert ids(without_rows) == [] and without_rows.context["cl"].shop == shop


def test_page_one_counts_the_rows_it_reads_no_count_query(client, queue, monkeypatch):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(admin_queue, "PER_PAGE", 1)
    monkeypatch.setattr(admin_queue, "COUNT_CAP", 5)
    client.get(QUEUE)  # the session and permissions read once
    with CaptureQueriesContext(connection) as captured:
        first = client.get(QUEUE)
    assert ids(first) == ["R1"]
    assert first.context["cl"].count == 3 and not first.context["cl"].count_capped
    assert "3 claims" in first.content.decode() or "3 条理赔" in first.content.decode()
    assert not [q for q in captured.captured_queries if "COUNT(*) FROM (SELECT" in q["sql"]]
    # a later page counts with its own query, and finds the same number
    second = client.get(QUEUE, {"p": 2})
    assert ids(second) == ["R2"] and second.context["cl"].count == 3


def test_each_row_shows_its_own_shop_buyer_refund_and_order(client, queue):  # noqa: F811
    rows = {c.pk: c for c in client.get(QUEUE).context["cl"].result_list}
    for claim in Claim.objects.select_related("shop", "buyer", "refund__order"):
        row = rows[claim.pk]
        assert row.shop.name == claim.shop.name
        assert row.shop.platform_shop_id == claim.shop.platform_shop_id
        assert row.buyer.platform_buyer_id == claim.buyer.platform_buyer_id
        assert row.refund.platform_refund_id == claim.refund.platform_refund_id
        assert row.refund.reason == claim.refund.reason
        assert row.refund.order.platform_order_id == claim.refund.order.platform_order_id
