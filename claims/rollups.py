"""Per-shop, per-day rollups of the merchant figures, kept in step with the writes (issue 10).

The dashboard, the payouts page's monthly totals and the risk model's window (R51) read these
rows instead of aggregating a shop's policies, payouts and claims: a page reads a few hundred
rows whatever the shop's size.

Tables (`claims.models.rollups`), days are Asia/Shanghai dates (R2), money exact (R1):

- `ShopDay(shop, day)`: policies, premiums (by issued_at); payouts, payouts_amount (by
  paid_at); compensations, compensations_amount (the buyers' 10.00, by paid_at, under the
  claim's shop); breaches (by recorded_at);
- `ShopDayReason(shop, day, reason)`: claims opened (by submitted_at, refund reason);
- `ShopClaimState(shop, state)`: the shop's claims in each R41 state now.

Writers call the `record_*` functions in the transaction of the write they count. Every
function takes an iterable of rows (one write or a whole batch):

    record_policies_issued([(shop_id, issued_at, premium), ...])
    record_payouts([(shop_id, paid_at, amount), ...])
    record_compensations([(shop_id, paid_at, amount), ...])      # shop of the claim
    record_breaches([(shop_id, recorded_at), ...])
    record_claims_opened([(shop_id, submitted_at, reason, state), ...])  # state: as created
    record_claim_moves([(shop_id, source_state, target_state), ...])     # one per transition

Each call adds its deltas with one `INSERT … ON CONFLICT (key) DO UPDATE SET x = x +
EXCLUDED.x` per table (PostgreSQL and SQLite), its keys summed in memory first and sorted.
Concurrent transactions adding to the same row serialize on that row's lock (no lost update,
`tests/claims/test_rollups_races.py`).

A hot row (a big shop's today) stays locked from the delta until commit. To keep that short,
and to take every transaction's rollup locks in one order (tables in a fixed order, keys
sorted) and after its other locks (no deadlock through rollup rows), wrap the transaction's
body in `deferred()`. Every write service (`portal.transactions.service`) already runs in
one; the sweep writes its deltas as its chunk's last statement. Elsewhere:

    with transaction.atomic():
        with rollups.deferred():
            ...  # the writes and their record_* calls: deltas kept in memory
        # leaving the block flushed them: one upsert per table, keys in sorted order

Nested `deferred()` blocks keep their own deltas and hand them to the outer block only when
they exit without an exception: put one inside each savepoint (`transaction.atomic()`) a
batch may roll back, and the rolled-back event's deltas are dropped with it. The outermost
block must be inside the transaction (it refuses to flush outside one).

`rebuild(shop_ids=None)` recomputes the rollups from the raw rows, set-based (the
`rebuild_rollups` command, bench/dataset.py); `recount(shop_ids=None)` returns that recount
without writing it, as `current()` returns what the tables hold (tests compare the two).

The statements are built in `claims.rollup_sql` (the tables' layout, the recount's SELECTs);
this module runs them.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from django.db import connection, transaction

from claims.models import ShopClaimState, ShopDay, ShopDayReason
from claims.rollup_sql import (
    DAY,
    ORDER,
    REASON,
    STATE,
    TABLES,
    money_expr,
    quote,
    recount_queries,
)
from portal import transactions
from portal.clock import local_date
from portal.money import money, money_sum
from portal.rawsql import converter

CHUNK = 500  # rows per upsert statement


class _Deltas:
    """Deltas in memory: table -> key -> column -> amount."""

    def __init__(self):
        self.rows = {name: defaultdict(lambda: defaultdict(int)) for name in ORDER}

    def add(self, table: str, key: tuple, **values) -> None:
        row = self.rows[table][key]
        for column, value in values.items():
            row[column] += value

    def merge(self, other: "_Deltas") -> None:
        for table, rows in other.rows.items():
            for key, values in rows.items():
                self.add(table, key, **values)

    def flush(self) -> None:
        for table in ORDER:
            _upsert(table, self.rows[table])
        self.rows = _Deltas().rows


_pending: ContextVar[_Deltas | None] = ContextVar("rollup_deltas", default=None)


@contextmanager
def deferred() -> Iterator[None]:
    """Keep the deltas of the block in memory; flush them (sorted) when the outermost block
    exits normally, drop them when a block exits with an exception (module docstring)."""
    outer = _pending.get()
    mine = _Deltas()
    token = _pending.set(mine)
    try:
        yield
    finally:
        _pending.reset(token)
    # reached only when the block raised nothing
    if outer is not None:
        outer.merge(mine)
        return
    if any(mine.rows.values()) and not connection.in_atomic_block:
        raise RuntimeError("rollups.deferred(): flush outside a transaction (open it inside)")
    mine.flush()


# Every write service (portal.transactions.service) runs in a deferred() block: its deltas
# are written at its end, after its other locks, in the one order of _flush (no deadlock
# between services, the sweep and ingestion batches over rollup rows).
transactions.service_scope(deferred)


def _record(fill) -> None:
    """Run fill(deltas) into the open deferred() block, or write its deltas now."""
    pending = _pending.get()
    if pending is not None:
        fill(pending)
        return
    deltas = _Deltas()
    fill(deltas)
    deltas.flush()


# --- the writers' API (rows as in the module docstring) ---


def record_policies_issued(rows: Iterable[tuple[int, dt.datetime, Decimal]]) -> None:
    """R21/R22: policies issued (shop_id, issued_at, premium)."""

    def fill(d):
        for shop_id, at, premium in rows:
            d.add(DAY, (shop_id, local_date(at)), policies=1, premiums=Decimal(premium))

    _record(fill)


def record_payouts(rows: Iterable[tuple[int, dt.datetime, Decimal]]) -> None:
    """R35/R36: payouts to the shop (shop_id, paid_at, amount)."""

    def fill(d):
        for shop_id, at, amount in rows:
            d.add(DAY, (shop_id, local_date(at)), payouts=1, payouts_amount=Decimal(amount))

    _record(fill)


def record_compensations(rows: Iterable[tuple[int, dt.datetime, Decimal]]) -> None:
    """R37: the buyer's 10.00, counted under the claim's shop (shop_id, paid_at, amount)."""

    def fill(d):
        for shop_id, at, amount in rows:
            d.add(
                DAY,
                (shop_id, local_date(at)),
                compensations=1,
                compensations_amount=Decimal(amount),
            )

    _record(fill)


def record_breaches(rows: Iterable[tuple[int, dt.datetime]]) -> None:
    """R38: service breaches recorded (shop_id, recorded_at)."""

    def fill(d):
        for shop_id, at in rows:
            d.add(DAY, (shop_id, local_date(at)), breaches=1)

    _record(fill)


def record_claims_opened(rows: Iterable[tuple[int, dt.datetime, str, str]]) -> None:
    """R30: claims created (shop_id, submitted_at, refund reason, state as created)."""

    def fill(d):
        for shop_id, at, reason, state in rows:
            d.add(REASON, (shop_id, local_date(at), reason), claims=1)
            d.add(STATE, (shop_id, state), claims=1)

    _record(fill)


def record_claim_moves(rows: Iterable[tuple[int, str, str]]) -> None:
    """R41: claims that changed state (shop_id, source, target), one row per transition."""

    def fill(d):
        for shop_id, source, target in rows:
            if source != target:
                d.add(STATE, (shop_id, source), claims=-1)
                d.add(STATE, (shop_id, target), claims=1)

    _record(fill)


# --- reads ---


def dashboard_rows(shop_id: int, *, days_since: dt.date, claims_since: dt.date) -> list[tuple]:
    """The shop's rollup rows a dashboard shows, in one round trip (UNION ALL), each as
    (kind, day, name, n, premiums, payouts_amount): kind "d" a ShopDay from `days_since`
    (n: policies), "r" a ShopDayReason from `claims_since` (name: reason, n: claims), "s" a
    ShopClaimState (name: state, n: claims). Days are dates and money exact Decimals (None
    where the row has none) on every database (portal.rawsql)."""
    sql = (
        "SELECT 'd' AS kind, day, NULL AS name, policies AS n, premiums, payouts_amount "
        f"FROM {quote(ShopDay._meta.db_table)} WHERE shop_id = %s AND day >= %s "
        "UNION ALL SELECT 'r', day, reason, claims, NULL, NULL "
        f"FROM {quote(ShopDayReason._meta.db_table)} WHERE shop_id = %s AND day >= %s "
        "AND claims > 0 UNION ALL SELECT 's', NULL, state, claims, NULL, NULL "
        f"FROM {quote(ShopClaimState._meta.db_table)} WHERE shop_id = %s AND claims > 0"
    )
    day, premiums, payouts = (
        converter(ShopDay, name) for name in ("day", "premiums", "payouts_amount")
    )
    return [
        (kind, day(d), name, n, premiums(p), payouts(a))
        for kind, d, name, n, p, a in _select_sql(
            sql, [shop_id, days_since, shop_id, claims_since, shop_id]
        )
    ]


# --- rebuild and recount from the raw rows ---


def recount(shop_ids: Iterable[int] | None = None) -> dict:
    """The rollups as the raw rows give them: {table: {key: {column: value}}}, zeros left out."""
    deltas = _Deltas()
    day = converter(ShopDay, "day")
    for table, sql in recount_queries(shop_ids):
        _, keys, _values, _money_columns = TABLES[table]
        for row in _select_sql(*sql):
            key = tuple(day(v) if k == "day" else v for k, v in zip(keys, row, strict=False))
            values = dict(zip(TABLES[table][2], row[len(keys) :], strict=True))
            deltas.add(table, key, **{c: _clean(table, c, v) for c, v in values.items()})
    return _nonzero(deltas.rows)


def current(shop_ids: Iterable[int] | None = None) -> dict:
    """What the rollup tables hold, in recount()'s shape."""
    out = {}
    for table in ORDER:
        model, keys, values, _money_columns = TABLES[table]
        queryset = model.objects.all()
        if shop_ids is not None:
            queryset = queryset.filter(shop_id__in=list(shop_ids))
        out[table] = {
            tuple(row[: len(keys)]): {
                c: _clean(table, c, v) for c, v in zip(values, row[len(keys) :], strict=True)
            }
            for row in queryset.values_list(*keys, *values)
        }
    return _nonzero(out)


@transaction.atomic
def rebuild(shop_ids: Iterable[int] | None = None) -> dict:
    """Recompute the rollups of `shop_ids` (all shops: None) from the raw rows: delete them,
    then one INSERT … SELECT … GROUP BY per table. Returns the rows written per table."""
    shop_ids = None if shop_ids is None else sorted(set(shop_ids))
    written = {}
    for table in ORDER:
        model = TABLES[table][0]
        queryset = model.objects.all()
        if shop_ids is not None:
            queryset = queryset.filter(shop_id__in=shop_ids)
        queryset.delete()
    for table, (sql, params) in recount_queries(shop_ids):
        model, keys, values, _money_columns = TABLES[table]
        columns = ", ".join(quote(c) for c in (*keys, *values))
        insert = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) {sql}"
        with connection.cursor() as cursor:
            cursor.execute(insert, params)
            written[table] = cursor.rowcount
    return written


def _select_sql(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _upsert(table: str, rows: dict) -> None:
    """Add the deltas `rows` (key -> column -> delta) to `table`: keys in sorted order, one
    INSERT … ON CONFLICT DO UPDATE per CHUNK keys; all-zero deltas are skipped."""
    model, keys, values, money_columns = TABLES[table]
    items = sorted((key, row) for key, row in rows.items() if any(row.get(c) for c in values))
    if not items:
        return
    name = quote(model._meta.db_table)
    columns = ", ".join(quote(c) for c in (*keys, *values))
    updates = ", ".join(
        f"{quote(c)} = "
        + (
            money_expr(f"{name}.{quote(c)} + EXCLUDED.{quote(c)}")
            if c in money_columns
            else f"{name}.{quote(c)} + EXCLUDED.{quote(c)}"
        )
        for c in values
    )
    placeholder = f"({', '.join(['%s'] * (len(keys) + len(values)))})"
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        params = [
            value
            for key, row in chunk
            for value in (*key, *(_delta(row, c, money_columns) for c in values))
        ]
        sql = (
            f"INSERT INTO {name} ({columns}) VALUES {', '.join([placeholder] * len(chunk))} "
            f"ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {updates}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _delta(row: dict, column: str, money_columns: set):
    value = row.get(column, 0)
    return money(value) if column in money_columns else int(value)  # R1


def _money(value) -> Decimal:
    return money_sum(value)


def _clean(table: str, column: str, value):
    return _money(value) if column in TABLES[table][3] else int(value or 0)


def _nonzero(tables: dict) -> dict:
    return {
        table: {key: dict(row) for key, row in rows.items() if any(v for v in row.values())}
        for table, rows in tables.items()
    }
