"""R20-R24 through the event API: orders become policies when they ship."""

import datetime as dt
from decimal import Decimal as D

import pytest

from claims.models import Order, Policy
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db


def test_R20_R21_R22_an_order_of_an_enrolled_shop_gets_a_policy_when_it_ships(client, shop):
    lines = [
        {"line_id": "L1", "sku": "A", "title": "电饭煲", "quantity": 1, "paid_amount": "299.99"},
        {"line_id": "L2", "sku": "B", "title": "内胆", "quantity": 2, "paid_amount": "33.35"},
    ]
    statuses = ev.send(
        client, ev.order_placed("O1", shop.platform_shop_id, lines=lines), ev.order_shipped("O1")
    )

    assert [s["status"] for s in statuses] == ["applied", "applied"]
    policy = Policy.objects.get(order__platform_order_id="O1")
    assert policy.rate == D("0.0150")
    # (299.99 + 33.35) x 1.50% = 5.0001 -> 5.00 (R1 half-up)
    assert policy.premium == D("5.00")
    assert policy.issued_at == ev.T0 + dt.timedelta(hours=5)
    assert policy.status() == "awaiting_receipt"


def test_R21_no_policy_before_the_order_ships(client, shop):
    ev.send(client, ev.order_placed("O1", shop.platform_shop_id))

    assert Order.objects.get().insured is True
    assert not Policy.objects.exists()


def test_R20_an_order_placed_before_enrollment_gets_no_policy(client, shop):
    before = dt.datetime(2026, 4, 30, 23, 0, tzinfo=dt.UTC)
    ev.send(client, ev.order_placed("O1", shop.platform_shop_id, at=before), ev.order_shipped("O1"))

    assert Order.objects.get().insured is False
    assert not Policy.objects.exists()


def test_R23_the_coverage_window_is_720_hours_from_receipt(send_order_story):
    received = ev.T0 + dt.timedelta(days=2)
    send_order_story("O1", received_at=received)

    policy = Policy.objects.get()
    assert policy.coverage_start == received
    assert policy.coverage_end == received + dt.timedelta(hours=720)
    assert policy.status(now=received + dt.timedelta(hours=720)) == "in_coverage"
    assert policy.status(now=received + dt.timedelta(hours=720, seconds=1)) == "expired"


def test_R14_an_order_placed_before_exit_still_gets_a_policy_when_it_ships_after(client, shop, uma):
    from enrollment import services
    from enrollment.models import Enrollment

    ev.send(client, ev.order_placed("O1", shop.platform_shop_id))
    services.enrollment_exit(enrollment_id=Enrollment.objects.get().pk, actor=uma)
    ev.send(client, ev.order_shipped("O1", at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC)))

    assert Policy.objects.filter(order__platform_order_id="O1").exists()


def test_R87_the_marketplace_reads_an_order_back(client, shop):
    ev.send(client, ev.order_placed("O1", shop.platform_shop_id), ev.order_shipped("O1"))

    response = ev.get(client, "/api/v1/orders/O1")

    assert response.status_code == 200
    body = response.json()
    assert body["insured"] is True and body["shop_id"] == shop.platform_shop_id
    assert body["policy"]["premium"] == "2.99"  # 199.00 x 1.50% = 2.985 -> 2.99
    assert body["policy"]["rate"] == "0.0150"
    assert body["policy"]["status"] == "awaiting_receipt"
    assert body["policy"]["issued_at"].endswith("+08:00")
    assert ev.get(client, "/api/v1/orders/NOPE").status_code == 404
