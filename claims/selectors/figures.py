"""The merchant figures, from the rollups (`claims.rollups`, issue 10): the dashboard's rows,
the payouts' monthly totals (R35) and the risk model's window (R51)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connections
from django.db.models import Count, F, Q, Sum

from claims.models import Claim, Payout, Policy, ShopDay, ShopDayReason
from claims.rollups import dashboard_rows
from portal.clock import local_date
from portal.clock import start_of_day as midnight
from portal.money import money_sum
from portal.rawsql import BuiltPerDatabase, converter


@dataclass(frozen=True)
class ShopFigures:
    days: list  # (day, policies, premiums, payouts_amount), oldest first
    claims_per_day: list  # (day, refund reason, claims opened)
    claims_by_state: dict  # {R41 state: the shop's claims in it now}


def shop_figures(*, shop, days_since: dt.date, claims_since: dt.date) -> ShopFigures:
    """The dashboard's rollup rows (claims.rollups) in one round trip, whatever the shop's
    size: its days from `days_since` (at most one row a day), its claims opened per day and
    reason from `claims_since` (R30), its claims by state (R41)."""
    rows = dashboard_rows(shop.pk, days_since=days_since, claims_since=claims_since)
    return ShopFigures(
        days=sorted(
            (day, n, premiums, payouts)
            for kind, day, _name, n, premiums, payouts in rows
            if kind == "d"
        ),
        claims_per_day=sorted((d, name, n) for kind, d, name, n, *_m in rows if kind == "r"),
        claims_by_state={name: n for kind, _d, name, n, *_m in rows if kind == "s"},
    )


class _PayoutMonths(BuiltPerDatabase):
    """payout_months' statement, written once per database (issue 10: the ORM's TruncMonth
    aggregate cost 0.95 ms a payouts page to compile and run, its SQL 0.3 ms)."""

    def _build(self, using):
        db = connections[using]
        q = db.ops.quote_name
        month, month_params = db.ops.date_trunc_sql("month", q("day"), ())
        sql = (
            f"SELECT {month}, SUM({q('payouts_amount')}), SUM({q('payouts')}) "
            f"FROM {q(ShopDay._meta.db_table)} WHERE {q('shop_id')} = %s AND {q('payouts')} > 0 "
            f"GROUP BY 1 ORDER BY 1 DESC LIMIT %s"
        )
        converters = (
            converter(ShopDay, "day", using),
            converter(ShopDay, "payouts_amount", using),
        )
        return sql, list(month_params), converters

    def rows(self, shop_id: int, months: int) -> list[tuple]:
        using, (sql, month_params, (day, amount)) = self.built(ShopDay)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, [*month_params, shop_id, months])
            return [(_date(day(m)), amount(total), int(n)) for m, total, n in cursor.fetchall()]


def _date(value) -> dt.date:
    # PostgreSQL's date_trunc of a date is a timestamp (midnight, UTC as the connection's
    # time zone is); the ORM's TruncMonth takes its date the same way
    return value.date() if isinstance(value, dt.datetime) else value


_PAYOUT_MONTHS = _PayoutMonths()


def payout_months(*, shop, months: int = 12) -> list[tuple]:
    """(month's first day, payouts total, payouts) of the shop's latest `months` Asia/Shanghai
    months with payouts (R35), newest first, from the per-day rollup (its days are
    Asia/Shanghai days)."""
    return [
        (month, money_sum(total), n) for month, total, n in _PAYOUT_MONTHS.rows(shop.pk, months)
    ]


def shop_window(*, shop, start: dt.datetime, end: dt.datetime) -> dict:
    """R51's inputs over [start, end): premiums and policies issued, payouts made, claims
    opened. The whole Asia/Shanghai days inside the window come from the rollups; the partial
    days at its ends (at most two days of rows) from the raw rows, so the figures are the
    same as a count of the raw rows over the exact instants."""

    first = local_date(start)
    if midnight(first) < start:
        first += dt.timedelta(days=1)
    last = local_date(end)  # exclusive: the day holding `end` is partial (or starts at it)
    if first >= last:
        edges = [(start, end)]
        first = last = None
    else:
        edges = [(a, b) for a, b in ((start, midnight(first)), (midnight(last), end)) if a < b]
    totals = {"premiums": Decimal("0.00"), "payouts": Decimal("0.00"), "policies": 0, "claims": 0}
    if first is not None:
        days = ShopDay.objects.filter(shop=shop, day__gte=first, day__lt=last).aggregate(
            policies=Sum("policies"), premiums=Sum("premiums"), payouts=Sum("payouts_amount")
        )
        claims = ShopDayReason.objects.filter(shop=shop, day__gte=first, day__lt=last)
        totals = {
            "premiums": money_sum(days["premiums"]),
            "payouts": money_sum(days["payouts"]),
            "policies": days["policies"] or 0,
            "claims": claims.aggregate(n=Sum("claims"))["n"] or 0,
        }
    if edges:
        in_edges = Q()
        for a, b in edges:
            in_edges |= Q(at__gte=a, at__lt=b)
        policies = (
            Policy.objects.filter(shop=shop)
            .alias(at=F("issued_at"))
            .filter(in_edges)
            .aggregate(n=Count("id"), premiums=Sum("premium"))
        )
        payouts = (
            Payout.objects.filter(shop=shop)
            .alias(at=F("paid_at"))
            .filter(in_edges)
            .aggregate(total=Sum("amount"))
        )
        claims = Claim.objects.filter(shop=shop).alias(at=F("submitted_at")).filter(in_edges)
        totals["premiums"] += money_sum(policies["premiums"])
        totals["payouts"] += money_sum(payouts["total"])
        totals["policies"] += policies["n"]
        totals["claims"] += claims.count()
    return totals
