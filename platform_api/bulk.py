"""R80-R83: set-based appliers, one per event type that allows it (platform_api.batch).

An applier gets a chunk of events of its type, in batch order, inside one transaction. It
reads what the chunk names in a few queries (locking the rows it will change, in primary
key order), checks each event in memory in order, exactly as the per-event service would
(same rules, same messages; a later event sees what an earlier one of the chunk did), calls
`record_applied` with the events that pass (R82), writes them with multi-row statements and
returns {batch index: error} for the others. A database error propagates: the batch module
rolls the chunk back and applies it event by event.

tests/platform_api/test_batch_R83.py proves the rows equal those of the per-event path.
"""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Case, Value, When

from claims import rollups
from claims.models import Buyer, Order, OrderLine, Policy
from claims.services import policies
from platform_api.bulk_refunds import refunds_requested
from portal import changes
from portal.changes import Change

Record = Callable[[list], None]


def _refuse(rejected: dict, item, problem: ValidationError) -> None:
    rejected[item.index] = "; ".join(problem.messages)


# --- order.placed (R20) ---


def orders_placed(items: list, record_applied: Record) -> dict[int, str]:
    """R20: orders, their buyers (R62 tiers) and lines: one statement per table."""
    order_ids = [i.data["order_id"] for i in items]
    taken = set(
        Order.objects.filter(platform_order_id__in=order_ids).values_list(
            "platform_order_id", flat=True
        )
    )
    rejected: dict[int, str] = {}
    accepted = []
    for item in items:
        data = item.data
        terms = policies.shop_terms(data["shop_id"])
        problem = policies.placement_problem(
            terms=terms,
            shop_id=data["shop_id"],
            order_id=data["order_id"],
            exists=data["order_id"] in taken,
            placed_at=data["placed_at"],
            lines=data["lines"],
        )
        if problem:
            _refuse(rejected, item, problem)
            continue
        taken.add(item.data["order_id"])
        accepted.append((item, terms))
    if accepted:
        record_applied([item for item, _terms in accepted])
        _write_orders(accepted)
    return rejected


def _upsert_buyers(accepted: list) -> dict[str, int]:
    """One upsert, the last tier of each buyer winning as in event order; sorted keys."""
    tiers = {item.data["buyer"]["id"]: item.data["buyer"]["credit_tier"] for item, _ in accepted}
    Buyer.objects.bulk_create(
        [Buyer(platform_buyer_id=b, credit_tier=t) for b, t in sorted(tiers.items())],
        update_conflicts=True,
        unique_fields=["platform_buyer_id"],
        update_fields=["credit_tier"],
    )
    return dict(
        Buyer.objects.filter(platform_buyer_id__in=list(tiers)).values_list(
            "platform_buyer_id", "pk"
        )
    )


def _write_orders(accepted: list) -> None:
    buyers = _upsert_buyers(accepted)
    orders = [
        policies.new_order(
            terms=terms,
            order_id=item.data["order_id"],
            buyer_id=buyers[item.data["buyer"]["id"]],
            placed_at=item.data["placed_at"],
            lines=item.data["lines"],
        )
        for item, terms in accepted
    ]
    Order.objects.bulk_create(orders)  # in event order: the ids the per-event path gives
    OrderLine.objects.bulk_create(
        line
        for order, (item, _terms) in zip(orders, accepted, strict=True)
        for line in policies.new_lines(order, item.data["lines"])
    )


# --- order.shipped (R21, R22) and order.received (R23) ---


def _locked_orders(items: list) -> dict[str, Order]:
    """The chunk's orders, locked in primary key order (two batches never deadlock here)."""
    ids = sorted({i.data["order_id"] for i in items})
    queryset = Order.objects.select_for_update().filter(platform_order_id__in=ids).order_by("pk")
    return {order.platform_order_id: order for order in queryset}


def _order_moves(items: list, record_applied: Record, *, field: str, problem, write) -> dict:
    """Check each event against its locked order in batch order (a later event of the chunk
    sees what an earlier one set), then write the accepted ones with `write(orders)`."""
    orders = _locked_orders(items)
    rejected: dict[int, str] = {}
    accepted = []
    for item in items:
        order_id, at = item.data["order_id"], item.data[field]
        order = orders.get(order_id)
        refused = problem(order, order_id, at)
        if refused:
            _refuse(rejected, item, refused)
            continue
        setattr(order, field, at)
        accepted.append((item, order))
    if accepted:
        record_applied([item for item, _order in accepted])
        write([order for _item, order in accepted])
    return rejected


def orders_shipped(items: list, record_applied: Record) -> dict[int, str]:
    """R21/R22: shipment dates in one UPDATE, the insured orders' policies in one INSERT."""
    return _order_moves(
        items, record_applied, field="shipped_at", problem=policies.ship_problem, write=_shipments
    )


def _shipments(orders: list[Order]) -> None:
    update_rows(Order, "id", ["shipped_at"], [(o.pk, o.shipped_at) for o in orders])
    issued = Policy.objects.bulk_create(policies.new_policy(o) for o in orders if o.insured)
    rollups.record_policies_issued((p.shop_id, p.issued_at, p.premium) for p in issued)
    changes.announce(Change(Policy, p, "issue", p.issued_at) for p in issued)  # R111


def orders_received(items: list, record_applied: Record) -> dict[int, str]:
    """R23: receipt dates in one UPDATE, the coverage windows in another."""
    return _order_moves(
        items,
        record_applied,
        field="received_at",
        problem=policies.receipt_problem,
        write=_receipts,
    )


def _receipts(orders: list[Order]) -> None:
    update_rows(Order, "id", ["received_at"], [(o.pk, o.received_at) for o in orders])
    update_rows(
        Policy,
        "order_id",
        ["coverage_start", "coverage_end"],
        [(o.pk, o.received_at, policies.coverage_end(o.received_at)) for o in orders if o.insured],
    )
    changes.announce(Change(Order, o, "receive", o.received_at) for o in orders if o.insured)


# --- one UPDATE for many rows ---


def update_rows(model, key: str, columns: list[str], rows: list[tuple]) -> None:
    """Set `columns` of the rows whose `key` is each row's first value: one
    `UPDATE … FROM (VALUES …)` on PostgreSQL (Django's bulk_update builds a CASE per
    column and row, slow to compile); a CASE per column elsewhere (SQLite, the tests)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        _update_by_case(model, key, columns, rows)
        return
    fields = [model._meta.get_field(name) for name in (key, *columns)]
    casts = ", ".join(f"%s::{field.db_type(connection)}" for field in fields)
    names = [connection.ops.quote_name(field.column) for field in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    sets = ", ".join(f"{name} = v.{name}" for name in names[1:])
    sql = (
        f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([f'({casts})'] * len(rows))}) "
        f"AS v ({', '.join(names)}) WHERE {table}.{names[0]} = v.{names[0]}"
    )
    params = [
        field.get_db_prep_value(value, connection)
        for row in rows
        for field, value in zip(fields, row, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _update_by_case(model, key: str, columns: list[str], rows: list[tuple]) -> None:
    def case(n: int) -> Case:
        field = model._meta.get_field(columns[n])
        whens = [When(**{key: row[0]}, then=Value(row[n + 1])) for row in rows]
        return Case(*whens, output_field=field)

    model.objects.filter(**{f"{key}__in": [row[0] for row in rows]}).update(
        **{column: case(n) for n, column in enumerate(columns)}
    )


APPLIERS: dict[str, Callable[[list, Record], dict[int, str]]] = {
    "order.placed": orders_placed,
    "order.shipped": orders_shipped,
    "order.received": orders_received,
    "refund.requested": refunds_requested,
}
