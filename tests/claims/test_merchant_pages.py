"""Merchant pages: dashboard, policies, refunds and claims, feedback, payouts (R24, R34,
R43-R44, R60, R100, R102): what they show, their actions, and a fixed number of queries."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import BuyerFeedback, Claim, Evidence, Policy
from claims.services import decisions
from portal.pagination import PER_PAGE
from tests.factories import make_orders
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db


def test_the_dashboard_shows_what_needs_the_merchant(merchant, return_on_its_way):
    response = merchant.get(reverse("claims:dashboard"))

    assert response.status_code == 200
    assert response.context["board"].needs_action == [return_on_its_way]
    body = response.content.decode()
    assert '<svg class="chart"' in body and 'role="img"' in body
    assert "1.50%" in body


def test_R24_policies_filter_by_status_and_search(merchant, client, shop, rita):
    make_orders(client, shop, 3)
    paid = Claim.objects.get(refund__platform_refund_id="RO2")  # refund-only (even)
    decisions.claim_approve(claim_id=paid.pk, actor=rita)

    response = merchant.get(reverse("claims:policies"), {"status": "claim_paid"})
    assert [p.order.platform_order_id for p in response.context["page"]] == ["O2"]
    assert "理赔成功" in response.content.decode()  # R24's name for a paid claim
    found = merchant.get(reverse("claims:policies"), {"q": "O1"})
    assert [p.order.platform_order_id for p in found.context["page"]] == ["O1"]
    by_sku = merchant.get(reverse("claims:policies"), {"q": "SKU-KETTLE"})
    assert len(by_sku.context["page"]) == 3


def test_policy_pages_are_keyset_paginated(merchant, client, shop):
    make_orders(client, shop, PER_PAGE + 10, refunds=False)
    first = merchant.get(reverse("claims:policies"))
    assert len(first.context["page"]) == PER_PAGE and first.context["page"].next_url
    second = merchant.get(reverse("claims:policies") + first.context["page"].next_url)
    assert len(second.context["page"]) == 10
    seen = {p.pk for p in first.context["page"]} | {p.pk for p in second.context["page"]}
    assert len(seen) == PER_PAGE + 10
    back = merchant.get(reverse("claims:policies") + second.context["page"].prev_url)
    assert [p.pk for p in back.context["page"]] == [p.pk for p in first.context["page"]]


def test_the_policy_csv_has_every_matching_row_not_just_the_page(merchant, client, shop):
    make_orders(client, shop, 60, refunds=False)

    response = merchant.get(reverse("claims:policies_export"))

    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 61
    assert rows[1][1].startswith("O")


def test_R44_the_refund_list_filters_by_business_type(merchant, client, shop):
    make_orders(client, shop, 5)  # O4 has reason "other": merchant-handled

    warranty = merchant.get(reverse("claims:refunds"), {"business": "warranty"})
    handled = merchant.get(reverse("claims:refunds"), {"business": "merchant"})

    assert len(warranty.context["page"]) == 4
    assert [r.platform_refund_id for r in handled.context["page"]] == ["RO4"]
    assert (
        "选择的退款原因不在保障范围内" in handled.content.decode()
        or "reason" in handled.content.decode()
    )


def test_R43_the_claim_page_shows_timeline_evidence_amounts_and_deadlines(
    merchant, return_on_its_way
):
    response = merchant.get(reverse("claims:claim", args=[return_on_its_way.pk]))

    assert response.status_code == 200
    assert [e.state for e in response.context["timeline"]] == [
        "submitted",
        "awaiting_return",
        "return_shipped",
    ]
    body = response.content.decode()
    assert "209.00" in body  # payable cap (R36)
    assert 'data-testid="confirm-receipt"' in body
    assert reverse("claims:evidence", args=[response.context["buyer_evidence"][0].pk]) in body


def test_R34_confirming_receipt_takes_a_confirmation_step(merchant, return_on_its_way):
    url = reverse("claims:confirm", args=[return_on_its_way.pk])
    assert merchant.get(url).status_code == 200
    assert Claim.objects.get(pk=return_on_its_way.pk).state == "return_shipped"

    response = merchant.post(url, follow=True)

    assert Claim.objects.get(pk=return_on_its_way.pk).state == "paid"
    assert response.context["messages"]


def test_R34_refusing_receipt_needs_a_ground_and_photos(merchant, return_on_its_way):
    url = reverse("claims:refuse", args=[return_on_its_way.pk])
    response = merchant.post(url, {"ground": "empty_parcel", "note": "空箱"})
    assert response.status_code == 400 and "photos" in response.context["form"].errors

    photo = io.BytesIO(ev.png_bytes())
    photo.name = "box.png"
    merchant.post(url, {"ground": "empty_parcel", "note": "空箱", "photos": [photo]})

    claim = Claim.objects.get(pk=return_on_its_way.pk)
    assert (claim.state, claim.refusal_ground) == ("receipt_refused", "empty_parcel")


def test_R43_the_claim_page_shows_the_buyers_and_the_refusal_photos_apart(
    merchant, return_on_its_way
):
    photo = io.BytesIO(ev.png_bytes())
    photo.name = "box.png"
    url = reverse("claims:refuse", args=[return_on_its_way.pk])
    merchant.post(url, {"ground": "empty_parcel", "note": "空箱", "photos": [photo]})
    stored = Evidence.objects.filter(refund=return_on_its_way.refund)
    buyer = stored.filter(kind="buyer").order_by("pk")
    refusal = Evidence.objects.get(claim=return_on_its_way, kind="refusal")

    with CaptureQueriesContext(connection) as queries:
        response = merchant.get(reverse("claims:claim", args=[return_on_its_way.pk]))
    assert [p.pk for p in response.context["buyer_evidence"]] == [e.pk for e in buyer]
    assert [p.pk for p in response.context["refusal_evidence"]] == [refusal.pk]
    assert response.context["refusal_evidence"][0].original_name == "box.png"
    assert response.content.decode().count('class="gallery"') == 2
    photo_queries = [q for q in queries if "claims_evidence" in q["sql"]]
    assert len(photo_queries) == 1  # both galleries in one query (issue 10)


def test_R34_a_photo_that_is_not_an_image_is_refused_and_nothing_changes(
    merchant, return_on_its_way
):
    fake = io.BytesIO(b"MZ this is an exe")
    fake.name = "photo.jpg"
    response = merchant.post(
        reverse("claims:refuse", args=[return_on_its_way.pk]),
        {"ground": "wrong_item", "note": "x", "photos": [fake]},
    )
    assert response.status_code == 400
    assert Claim.objects.get(pk=return_on_its_way.pk).state == "return_shipped"


def test_R60_reporting_a_buyer_from_a_policy(merchant, client, shop):
    make_orders(client, shop, 1, refunds=False)
    policy = Policy.objects.get()

    response = merchant.post(
        reverse("claims:policy_report", args=[policy.pk]),
        {"category": "repeated_requests", "description": "一周三次退款"},
        follow=True,
    )

    report = BuyerFeedback.objects.get()
    assert (report.buyer.platform_buyer_id, report.state) == ("buyer0", "open")
    assert response.redirect_chain[-1][0] == reverse("claims:feedback")
    assert "buyer0" in response.content.decode()


def test_payouts_show_the_ledger_and_monthly_totals(merchant, client, shop, rita):
    make_orders(client, shop, 1)
    decisions.claim_approve(claim_id=Claim.objects.get().pk, actor=rita)

    response = merchant.get(reverse("claims:payouts"))

    assert [p.amount for p in response.context["page"]] == [Claim.objects.get().payable]
    assert response.context["months"][0][2] == 1
    export = merchant.get(reverse("claims:payouts_export"))
    assert b"RO0" in b"".join(export.streaming_content)


PAGES = [
    "claims:dashboard",
    "claims:policies",
    "claims:refunds",
    "claims:feedback",
    "claims:payouts",
]


@pytest.mark.parametrize("name", PAGES)
def test_every_list_page_has_an_empty_state(merchant, shop, name):
    response = merchant.get(reverse(name))
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [1, 200])
def test_list_and_detail_pages_run_a_fixed_number_of_queries(
    merchant, client, shop, rita, rows, django_assert_max_num_queries
):
    make_orders(client, shop, rows)
    decisions.claim_approve(claim_id=Claim.objects.order_by("id").first().pk, actor=rita)
    claim = Claim.objects.order_by("id").first()
    policy = Policy.objects.first()
    urls = [reverse(name) for name in PAGES] + [
        reverse("claims:claim", args=[claim.pk]),
        reverse("claims:policy", args=[policy.pk]),
        reverse("enrollment:overview"),
    ]
    for url in urls:
        with django_assert_max_num_queries(15):
            assert merchant.get(url).status_code == 200
