"""Orders and their policies (R20-R23)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Q

from claims import rollups
from claims.models import (
    CLOSED_CLAIM_STATES,
    COVERAGE_HOURS,
    OPEN_CLAIM_STATES,
    Buyer,
    Claim,
    ClaimState,
    Order,
    OrderLine,
    Policy,
    policy_claim_status,
)
from enrollment import selectors as enrollment_selectors
from portal import changes
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


def shop_terms(shop_id: str):
    """The shop's enrollment periods and rates (R16, R50), once per batch of events."""
    return cached(
        ("shop_terms", shop_id),
        lambda: enrollment_selectors.shop_terms(platform_shop_id=shop_id),
    )


def placement_problem(
    *, terms, shop_id: str, order_id: str, exists: bool, placed_at: dt.datetime, lines: list
) -> ValidationError | None:
    """Why an order.placed is refused, or None: the one statement of these rules, for the
    service and the set-based path (platform_api.bulk) alike."""
    if terms is None:
        return ValidationError(f"unknown shop {shop_id!r}", code="unknown_shop")
    if exists:
        return ValidationError(f"order {order_id!r} already exists", code="duplicate_order")
    line_ids = [line["line_id"] for line in lines]
    if len(set(line_ids)) != len(line_ids):
        return ValidationError("line ids repeat within the order", code="bad_lines")
    if terms.enrolled_at(placed_at) and terms.rate_at(placed_at) is None:
        # an enrolled shop always has a rate (R12); be loud if not
        return ValidationError(f"shop {shop_id!r} has no premium rate at {placed_at.isoformat()}")
    return None


def new_order(*, terms, order_id: str, buyer_id: int, placed_at: dt.datetime, lines: list) -> Order:
    """R20: the order (unsaved), insured when its shop was enrolled at placement."""
    insured = terms.enrolled_at(placed_at)
    return Order(
        platform_order_id=order_id,
        shop=terms.shop,
        buyer_id=buyer_id,
        paid_amount=sum((Decimal(line["paid_amount"]) for line in lines), Decimal("0.00")),
        placed_at=placed_at,
        insured=insured,
        rate=terms.rate_at(placed_at) if insured else None,
    )


def new_lines(order: Order, lines: list):
    """The order's sub-orders (unsaved)."""
    return (
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


def ship_problem(order: Order | None, order_id: str, shipped_at: dt.datetime):
    """Why an order.shipped is refused, or None (service and set-based path)."""
    if order is None:
        return ValidationError(f"unknown order {order_id!r}", code="unknown_order")
    if order.shipped_at is not None:
        return ValidationError(f"order {order_id!r} already shipped", code="already_shipped")
    if shipped_at < order.placed_at:
        return ValidationError("shipped_at is before placed_at", code="bad_time")
    return None


def new_policy(order: Order) -> Policy:
    """R21/R22: the shipped, insured order's policy (unsaved); premium = paid x rate at
    placement, rounded once (R1)."""
    return Policy(
        order=order,
        shop_id=order.shop_id,
        policy_no=policy_number(order, order.shipped_at),
        premium=money(order.paid_amount * order.rate),
        rate=order.rate,
        issued_at=order.shipped_at,
    )


def receipt_problem(order: Order | None, order_id: str, received_at: dt.datetime):
    """Why an order.received is refused, or None (service and set-based path)."""
    if order is None:
        return ValidationError(f"unknown order {order_id!r}", code="unknown_order")
    if order.shipped_at is None:
        return ValidationError(f"order {order_id!r} has not shipped", code="not_shipped")
    if order.received_at is not None:
        return ValidationError(f"order {order_id!r} already received", code="already_received")
    if received_at < order.shipped_at:
        return ValidationError("received_at is before shipped_at", code="bad_time")
    return None


def coverage_end(received_at: dt.datetime) -> dt.datetime:
    """R23: the window runs from receipt to receipt + 720 hours, inclusive."""
    return received_at + dt.timedelta(hours=COVERAGE_HOURS)


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
    terms = shop_terms(shop_id)
    exists = Order.objects.filter(platform_order_id=order_id).exists()
    problem = placement_problem(
        terms=terms,
        shop_id=shop_id,
        order_id=order_id,
        exists=exists,
        placed_at=placed_at,
        lines=lines,
    )
    if problem:
        raise problem
    buyer = buyer_upsert(platform_buyer_id=buyer_id, credit_tier=credit_tier)
    order = new_order(
        terms=terms, order_id=order_id, buyer_id=buyer.pk, placed_at=placed_at, lines=lines
    )
    order.save(force_insert=True)
    OrderLine.objects.bulk_create(new_lines(order, lines))
    return order


def _locked_order(order_id: str) -> Order | None:
    return Order.objects.select_for_update().filter(platform_order_id=order_id).first()


def policy_number(order: Order, shipped_at: dt.datetime) -> str:
    """R2: the policy number carries the Asia/Shanghai date of shipment, not the UTC one."""
    return f"WP{local_date(shipped_at):%Y%m%d}{order.pk:010d}"


@service
def order_ship(*, order_id: str, shipped_at: dt.datetime) -> Policy | None:
    """R21/R22: at shipment an insured order gets its policy; premium = paid x rate at placement.

    R14: this holds after the shop exited too, for orders placed while it was enrolled.
    """
    order = _locked_order(order_id)
    problem = ship_problem(order, order_id, shipped_at)
    if problem:
        raise problem
    order.shipped_at = shipped_at
    order.save(update_fields=["shipped_at"])
    if not order.insured:
        return None
    policy = new_policy(order)
    policy.save(force_insert=True)
    rollups.record_policies_issued([(policy.shop_id, policy.issued_at, policy.premium)])
    changes.announce_one(policy, "issue", at=policy.issued_at)  # R111 policy.issued
    return policy


@service
def order_receive(*, order_id: str, received_at: dt.datetime) -> Order:
    """R23: the coverage window runs from receipt to receipt + 720 hours, inclusive."""
    order = _locked_order(order_id)
    problem = receipt_problem(order, order_id, received_at)
    if problem:
        raise problem
    order.received_at = received_at
    order.save(update_fields=["received_at"])
    Policy.objects.filter(order=order).update(
        coverage_start=received_at, coverage_end=coverage_end(received_at)
    )
    changes.announce_one(order, "receive", at=received_at)  # R111 policy.issued, covered
    return order


def policy_refresh_claim_status(policy_ids: Iterable[int]) -> None:
    """R24: each policy shows its claims' outcome: in progress, paid, or closed. One recount
    for one policy or many (the sweep, a batch of events): the policies are locked (id
    order), their claims counted in one grouped query, and the changed statuses written
    (one UPDATE per status).

    The policy rows are locked before their claims are counted: two claims of one policy
    changing at once recount one after the other, each seeing the other's outcome."""
    ids = sorted(set(policy_ids))
    if not ids:
        return
    current = dict(
        Policy.objects.select_for_update()
        .filter(pk__any=ids)
        .order_by("pk")
        .values_list("pk", "claim_status")
    )
    counts = {
        row["policy_id"]: row
        for row in Claim.objects.filter(policy_id__any=ids)
        .order_by()
        .values("policy_id")
        .annotate(
            open=Count("id", filter=Q(state__in=OPEN_CLAIM_STATES)),
            paid=Count("id", filter=Q(state=ClaimState.PAID)),
            closed=Count("id", filter=Q(state__in=CLOSED_CLAIM_STATES)),
        )
    }
    changed = defaultdict(list)
    for pk, status in current.items():
        row = counts.get(pk, {"open": 0, "paid": 0, "closed": 0})
        recounted = policy_claim_status(row["open"], row["paid"], row["closed"])
        if recounted != status:
            changed[recounted].append(pk)
    for status, pks in changed.items():
        Policy.objects.filter(pk__any=pks).update(claim_status=status)
