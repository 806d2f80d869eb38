"""R2, R21: a policy number carries the Asia/Shanghai date of shipment, not the UTC one."""

import datetime as dt
from decimal import Decimal

import pytest

from claims.services.policies import order_place, order_ship
from portal.clock import SHANGHAI

pytestmark = pytest.mark.django_db


def shipped_policy_no(shop, order_id: str, shipped_at: dt.datetime) -> str:
    order_place(
        order_id=order_id,
        shop_id=shop.platform_shop_id,
        buyer_id="buyer-policy-numbers",
        credit_tier=3,
        placed_at=shipped_at - dt.timedelta(hours=3),
        lines=[
            {
                "line_id": f"{order_id}-1",
                "sku": "KETTLE",
                "title": "电热水壶",
                "quantity": 1,
                "paid_amount": Decimal("199.00"),
            }
        ],
    )
    return order_ship(order_id=order_id, shipped_at=shipped_at).policy_no


def test_R2_a_shipment_at_1am_in_shanghai_carries_that_days_date(shop):
    # 01:00 on 2 June in Shanghai is 17:00 on 1 June in UTC, as the platform may report it
    # ("2026-06-01T17:00:00Z") and as the database gives it back.
    shipped_at = dt.datetime(2026, 6, 2, 1, 0, tzinfo=SHANGHAI).astimezone(dt.UTC)

    assert shipped_policy_no(shop, "PN1", shipped_at).startswith("WP20260602")


@pytest.mark.parametrize(
    ("local", "date"),
    [
        ((2026, 6, 2, 0, 0), "20260602"),  # midnight in Shanghai: the new day
        ((2026, 6, 1, 23, 59), "20260601"),
        ((2026, 6, 2, 8, 0), "20260602"),  # midnight in UTC
    ],
)
def test_R2_the_policy_number_date_turns_at_midnight_in_shanghai(shop, local, date):
    shipped_at = dt.datetime(*local, tzinfo=SHANGHAI).astimezone(dt.UTC)

    assert shipped_policy_no(shop, f"PN-{date}-{local[3]}", shipped_at)[2:10] == date
