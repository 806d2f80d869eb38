"""Orders and their policies (R20-R23)."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError

from claims import rollups
from claims.models import COVERAGE_HOURS, Buyer, Order, OrderLine, Policy
from enrollment import selectors as enrollment_selectors
from portal.clock import local_date
from portal.money import money
from portal.transactions import cached, service


def buyer_upsert(*, platform_buyer_id: str, credit_tier: int) -> Buyer:
    """The buyer as the platform last described it (credit tier 1-5): one upsert."""
    (buyer,) = Buyer.objects.bulk_create(
        [Buyer(platform_buyer_id=platform_buyer_id, credit_tier=credit_tier)],
        update_conflicts=True,
        unique_fields=["platform_buyer_id"],
        update_fields=["credit_tier"],
    )
    if buyer.pk is None:  # a backend that does not return ids from upserts
        buyer = Buyer.objects.get(platform_buyer_id=platform_buyer_id)
    return buyer


@service
def order_place(
    *,
    order_id: str,
    shop_id: str,
    buyer_id: str,
    credit_tier: int,
    placed_at: dt.datetime,
    lines: list[dict],
) -> Order:
    """R20: an order is insured when its shop was enrolled at the moment it was placed.

    `lines` are dicts with line_id, sku, title, quantity and paid_amount (Decimal).
    """
    terms = cached(
        ("shop_terms", shop_id),
        lambda: enrollment_selectors.shop_terms(platform_shop_id=shop_id),
    )
    if terms is None:
        raise ValidationError(f"unknown shop {shop_id!r}", code="unknown_shop")
    if Order.objects.filter(platform_order_id=order_id).exists():
        raise ValidationError(f"order {order_id!r} already exists", code="duplicate_order")
    line_ids = [line["line_id"] for line in lines]
    if len(set(line_ids)) != len(line_ids):
        raise ValidationError("line ids repeat within the order", code="bad_lines")
    insured = terms.enrolled_at(placed_at)
    rate = terms.rate_at(placed_at) if insured else None
    if insured and rate is None:  # an enrolled shop always has a rate (R12); be loud if not
        raise ValidationError(f"shop {shop_id!r} has no premium rate at {placed_at.isoformat()}")
    buyer = buyer_upsert(platform_buyer_id=buyer_id, credit_tier=credit_tier)
    order = Order.objects.create(
        platform_order_id=order_id,
        shop=terms.shop,
        buyer=buyer,
        paid_amount=sum((Decimal(line["paid_amount"]) for line in lines), Decimal("0.00")),
        placed_at=placed_at,
        insured=insured,
        rate=rate,
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            platform_line_id=line["line_id"],
            sku=line["sku"],
            title=line["title"],
            quantity=line["quantity"],
            paid_amount=line["paid_amount"],
        )
        for line in lines
    )
    return order


def _order(order_id: str, *, lock: bool = True) -> Order:
    queryset = Order.objects.select_for_update() if lock else Order.objects
    order = queryset.filter(platform_order_id=order_id).first()
    if order is None:
        raise ValidationError(f"unknown order {order_id!r}", code="unknown_order")
    return order


def policy_number(order: Order, shipped_at: dt.datetime) -> str:
    """R2: the policy number carries the Asia/Shanghai date of shipment, not the UTC one."""
    return f"WP{local_date(shipped_at):%Y%m%d}{order.pk:010d}"


@service
def order_ship(*, order_id: str, shipped_at: dt.datetime) -> Policy | None:
    """R21/R22: at shipment an insured order gets its policy; premium = paid x rate at placement.

    R14: this holds after the shop exited too, for orders placed while it was enrolled.
    """
    order = _order(order_id)
    if order.shipped_at is not None:
        raise ValidationError(f"order {order_id!r} already shipped", code="already_shipped")
    if shipped_at < order.placed_at:
        raise ValidationError("shipped_at is before placed_at", code="bad_time")
    order.shipped_at = shipped_at
    order.save(update_fields=["shipped_at"])
    if not order.insured:
        return None
    policy = Policy.objects.create(
        order=order,
        shop_id=order.shop_id,
        policy_no=policy_number(order, shipped_at),
        premium=money(order.paid_amount * order.rate),
        rate=order.rate,
        issued_at=shipped_at,
    )
    rollups.record_policies_issued([(policy.shop_id, policy.issued_at, policy.premium)])
    return policy


@service
def order_receive(*, order_id: str, received_at: dt.datetime) -> Order:
    """R23: the coverage window runs from receipt to receipt + 720 hours, inclusive."""
    order = _order(order_id)
    if order.shipped_at is None:
        raise ValidationError(f"order {order_id!r} has not shipped", code="not_shipped")
    if order.received_at is not None:
        raise ValidationError(f"order {order_id!r} already received", code="already_received")
    if received_at < order.shipped_at:
        raise ValidationError("received_at is before shipped_at", code="bad_time")
    order.received_at = received_at
    order.save(update_fields=["received_at"])
    Policy.objects.filter(order=order).update(
        coverage_start=received_at, coverage_end=received_at + dt.timedelta(hours=COVERAGE_HOURS)
    )
    return order
