"""The merchant dashboard's numbers: what needs the merchant now, this month, and trends."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from claims import charts, selectors
from claims.models import COVERED_REASONS, Claim, ClaimState, Payout, Policy, RefundReason
from enrollment import selectors as enrollment_selectors
from portal.clock import SHANGHAI
from portal.money import money_sum

MONTHS, WEEKS = 12, 12


@dataclass
class Dashboard:
    enrollment: object
    rate: object
    needs_action: list
    month_policies: int
    month_premiums: Decimal
    month_payouts: Decimal
    claims_by_state: list
    money_rows: list = field(default_factory=list)
    claim_rows: list = field(default_factory=list)
    rate_rows: list = field(default_factory=list)
    money_chart: str = ""
    claims_chart: str = ""
    rate_chart: str = ""


def _month_start(now: dt.datetime, months_back: int = 0) -> dt.datetime:
    local = now.astimezone(SHANGHAI)
    year, month = local.year, local.month - months_back
    while month <= 0:
        month += 12
        year -= 1
    return dt.datetime(year, month, 1, tzinfo=SHANGHAI)


def dashboard_for_shop(*, shop, now: dt.datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    this_month = _month_start(now)
    month_policies = Policy.objects.filter(shop=shop, issued_at__gte=this_month).aggregate(
        n=Count("id"), premiums=Sum("premium")
    )
    month_payouts = Payout.objects.filter(shop=shop, paid_at__gte=this_month).aggregate(
        total=Sum("amount")
    )
    states = dict(
        Claim.objects.filter(shop=shop).values_list("state").annotate(n=Count("id")).order_by()
    )
    board = Dashboard(
        enrollment=enrollment_selectors.enrollment_open(shop=shop)
        or enrollment_selectors.enrollment_latest(shop=shop),
        rate=enrollment_selectors.rate_in_force(shop_id=shop.pk, at=now),
        needs_action=list(selectors.claims_awaiting_merchant(shop=shop)[:10]),
        month_policies=month_policies["n"],
        month_premiums=money_sum(month_policies["premiums"]),
        month_payouts=money_sum(month_payouts["total"]),
        claims_by_state=[(s, s.label, states[s]) for s in ClaimState if states.get(s)],
    )
    _money_trend(board, shop, now)
    _claims_trend(board, shop, now)
    _rate_trend(board, shop)
    return board


CLOSED_MONTHS_CACHE_SECONDS = 3600


def _closed_months(shop, now) -> tuple[dict, dict]:
    """Premiums and payouts per month of the 11 closed months: summing a big shop's year of
    policies costs ~200 ms on PostgreSQL (bench/RESULTS.md), and closed months barely change,
    so they are cached for an hour; the current month is always live."""
    key = f"dashboard:closed-months:{shop.pk}:{_month_start(now):%Y-%m}"
    found = cache.get(key)
    if found is None:
        found = _month_sums(shop, _month_start(now, MONTHS - 1), _month_start(now))
        cache.set(key, found, CLOSED_MONTHS_CACHE_SECONDS)
    return found


def _month_sums(shop, start, end) -> tuple[dict, dict]:
    premiums = dict(
        Policy.objects.filter(shop=shop, issued_at__gte=start, issued_at__lt=end)
        .annotate(month=TruncMonth("issued_at", tzinfo=SHANGHAI))
        .values_list("month")
        .annotate(total=Sum("premium"))
        .order_by()
    )
    payouts = dict(
        Payout.objects.filter(shop=shop, paid_at__gte=start, paid_at__lt=end)
        .annotate(month=TruncMonth("paid_at", tzinfo=SHANGHAI))
        .values_list("month")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return (
        {k.date(): money_sum(v) for k, v in premiums.items()},
        {k.date(): money_sum(v) for k, v in payouts.items()},
    )


def _money_trend(board: Dashboard, shop, now):
    premiums, payouts = _closed_months(shop, now)
    this_month = _month_start(now).date()
    premiums = {**premiums, this_month: board.month_premiums}
    payouts = {**payouts, this_month: board.month_payouts}
    for i in range(MONTHS - 1, -1, -1):
        month = _month_start(now, i).date()
        premium, payout = premiums.get(month, Decimal("0.00")), payouts.get(month, Decimal("0.00"))
        ratio = f"{payout / premium * 100:.0f}%" if premium else "—"
        board.money_rows.append((f"{month:%Y-%m}", premium, payout, ratio))
    board.money_chart = charts.paired_bars(
        _("Premiums and payouts per month"),
        [(label[2:], p, q) for label, p, q, _r in board.money_rows],
        labels=(_("Premiums"), _("Payouts")),
    )


def _week_counts(shop, start: dt.datetime, end: dt.datetime | None) -> dict:
    claims = Claim.objects.filter(shop=shop, submitted_at__gte=start)
    if end is not None:
        claims = claims.filter(submitted_at__lt=end)
    counts: dict = {}
    for week, reason, n in (
        claims.annotate(week=TruncWeek("submitted_at", tzinfo=SHANGHAI))
        .values_list("week", "refund__reason")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts.setdefault(week.date(), {})[reason] = n
    return counts


def _claims_trend(board: Dashboard, shop, now):
    local_today = now.astimezone(SHANGHAI).date()
    this_week = local_today - dt.timedelta(days=local_today.weekday())
    this_week_start = dt.datetime.combine(this_week, dt.time(), SHANGHAI)
    start = this_week_start - dt.timedelta(weeks=WEEKS - 1)
    # Closed weeks are cached like closed months (the join with the reasons costs ~40 ms for
    # a big shop, bench/RESULTS.md); the current week is always live.
    key = f"dashboard:closed-weeks:{shop.pk}:{this_week:%Y-%m-%d}"
    closed = cache.get(key)
    if closed is None:
        closed = _week_counts(shop, start, this_week_start)
        cache.set(key, closed, CLOSED_MONTHS_CACHE_SECONDS)
    counts = {**closed, **_week_counts(shop, this_week_start, None)}
    keys = [(r.value, r.label) for r in RefundReason if r in COVERED_REASONS]
    for i in range(WEEKS - 1, -1, -1):
        week = this_week - dt.timedelta(weeks=i)
        board.claim_rows.append((f"{week:%m-%d}", counts.get(week, {})))
    board.claims_chart = charts.stacked_bars(_("Claims per week by reason"), board.claim_rows, keys)
    board.claim_keys = keys


def _rate_trend(board: Dashboard, shop):
    history = list(
        enrollment_selectors.rates_for_shop(shop_id=shop.pk).values_list("effective_from", "rate")[
            :12
        ]
    )
    board.rate_rows = [
        (f"{timezone.localtime(at):%Y-%m-%d}", rate) for at, rate in reversed(history)
    ]
    board.rate_chart = charts.step_line(_("Premium rate over time"), board.rate_rows)
