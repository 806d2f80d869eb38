"""The SQL of the rollups (`claims.rollups`): the tables' layout, the recount of the raw rows
as one SELECT per rollup table (grouped in the database), and the helpers that write SQL
for this database (quoting, Asia/Shanghai dates, exact sums on SQLite).

Only builds statements and their parameters; `claims.rollups` runs them.
"""

from django.db import connection

from claims.models import (
    BuyerCompensation,
    Claim,
    Payout,
    Policy,
    RefundRequest,
    ServiceBreach,
    ShopClaimState,
    ShopDay,
    ShopDayReason,
)
from portal.clock import SHANGHAI

TZ = SHANGHAI.key  # R2

# table -> (model, key columns, value columns, money columns)
DAY, REASON, STATE = "day", "reason", "state"
TABLES = {
    DAY: (
        ShopDay,
        ("shop_id", "day"),
        (
            "policies",
            "premiums",
            "payouts",
            "payouts_amount",
            "compensations",
            "compensations_amount",
            "breaches",
        ),
        {"premiums", "payouts_amount", "compensations_amount"},
    ),
    REASON: (ShopDayReason, ("shop_id", "day", "reason"), ("claims",), set()),
    STATE: (ShopClaimState, ("shop_id", "state"), ("claims",), set()),
}
ORDER = (DAY, REASON, STATE)  # tables are always written in this order


def recount_queries(shop_ids) -> list[tuple[str, tuple[str, list]]]:
    """(table, (SELECT sql, params)) giving each table's rows from the raw rows, grouped in
    the database (one pass over each raw table)."""
    ids = None if shop_ids is None else list(shop_ids)

    def where(shop_column: str) -> tuple[str, list]:
        if ids is None:
            return "", []
        return f" AND {shop_column} IN ({', '.join(['%s'] * len(ids))})", list(ids)

    names = TABLES[DAY][2]
    # (FROM, shop column, time column, {value column: expression})
    branches = [
        (
            "{policy} x",
            "x.shop_id",
            "x.issued_at",
            {"policies": "COUNT(*)", "premiums": "SUM(x.premium)"},
        ),
        (
            "{payout} x",
            "x.shop_id",
            "x.paid_at",
            {"payouts": "COUNT(*)", "payouts_amount": "SUM(x.amount)"},
        ),
        (
            "{compensation} x JOIN {claim} c ON c.id = x.claim_id",
            "c.shop_id",
            "x.paid_at",
            {"compensations": "COUNT(*)", "compensations_amount": "SUM(x.amount)"},
        ),
        ("{breach} x", "x.shop_id", "x.recorded_at", {"breaches": "COUNT(*)"}),
    ]
    parts, params = [], []
    for source, shop, at, sums in branches:
        day, day_params = shanghai_date_sql(at)
        shops, shop_params = where(shop)
        values = ", ".join(f"{sums.get(n, '0')} AS {n}" for n in names)
        parts.append(
            f"SELECT {shop} AS shop_id, {day} AS day, {values} "
            f"FROM {tables(source)} WHERE 1 = 1{shops} GROUP BY 1, 2"
        )
        params += [*day_params, *shop_params]
    totals = ", ".join(
        money_expr(f"SUM(u.{n})") if n in TABLES[DAY][3] else f"SUM(u.{n})" for n in names
    )
    day_sql = (
        f"SELECT u.shop_id, u.day, {totals} FROM ({' UNION ALL '.join(parts)}) u "
        "GROUP BY u.shop_id, u.day ORDER BY u.shop_id, u.day",
        params,
    )
    day, day_params = shanghai_date_sql("c.submitted_at")
    shops, shop_params = where("c.shop_id")
    reason_sql = (
        f"SELECT c.shop_id, {day}, r.reason, COUNT(*) FROM {tables('{claim} c')} "
        f"JOIN {tables('{refund} r')} ON r.id = c.refund_id WHERE 1 = 1{shops} "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        [*day_params, *shop_params],
    )
    state_sql = (
        f"SELECT c.shop_id, c.state, COUNT(*) FROM {tables('{claim} c')} WHERE 1 = 1{shops} "
        "GROUP BY 1, 2 ORDER BY 1, 2",
        shop_params,
    )
    return [(DAY, day_sql), (REASON, reason_sql), (STATE, state_sql)]


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def tables(sql: str) -> str:
    """`sql` with the claims tables' names ({policy}, {claim}, ...) filled in, quoted."""
    return sql.format(
        policy=quote(Policy._meta.db_table),
        payout=quote(Payout._meta.db_table),
        compensation=quote(BuyerCompensation._meta.db_table),
        breach=quote(ServiceBreach._meta.db_table),
        claim=quote(Claim._meta.db_table),
        refund=quote(RefundRequest._meta.db_table),
    )


def shanghai_date_sql(column: str) -> tuple[str, list]:
    """The Asia/Shanghai date of a datetime column, in this database's SQL (R2)."""
    sql, params = connection.ops.datetime_cast_date_sql(column, (), TZ)
    return sql, list(params)


def money_expr(sql: str) -> str:
    """SQLite sums decimals as floats: round to the fen (exact again, portal.money)."""
    return f"ROUND({sql}, 2)" if connection.vendor == "sqlite" else sql
