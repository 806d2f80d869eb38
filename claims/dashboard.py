"""The merchant dashboard's numbers: what needs the merchant now, this month, and trends.

The figures come from the per-shop, per-day rollups (`claims.rollups`, issue 10), kept in
step with the writes in their own transactions: a page reads about 400 rollup rows whatever
the shop's size, and shows every write at once (no cache)."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from claims import charts, selectors
from claims.models import COVERED_REASONS, ClaimState, RefundReason
from enrollment import selectors as enrollment_selectors
from portal.clock import SHANGHAI

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
    """Three reads of the rollups (claims.rollups) whatever the shop's size, and the rates."""
    now = now or timezone.now()
    this_month = _month_start(now).date()
    days = selectors.shop_days(shop=shop, since=_month_start(now, MONTHS - 1).date())
    month = [row for row in days if row[0] >= this_month]
    states = selectors.shop_claims_by_state(shop=shop)
    board = Dashboard(
        enrollment=enrollment_selectors.enrollment_open(shop=shop)
        or enrollment_selectors.enrollment_latest(shop=shop),
        rate=enrollment_selectors.rate_in_force(shop_id=shop.pk, at=now),
        needs_action=list(selectors.claims_awaiting_merchant(shop=shop)[:10]),
        month_policies=sum(policies for _day, policies, _p, _q in month),
        month_premiums=sum((premiums for _d, _n, premiums, _q in month), Decimal("0.00")),
        month_payouts=sum((payouts for _d, _n, _p, payouts in month), Decimal("0.00")),
        claims_by_state=[(s, s.label, states[s]) for s in ClaimState if states.get(s)],
    )
    _money_trend(board, days, now)
    _claims_trend(board, shop, now)
    _rate_trend(board, shop)
    return board


def month_sums(days) -> tuple[dict, dict]:
    """Premiums and payouts per Asia/Shanghai month (its first day) of the rollup days."""
    premiums: dict = defaultdict(lambda: Decimal("0.00"))
    payouts: dict = defaultdict(lambda: Decimal("0.00"))
    for day, _policies, premium, payout in days:
        premiums[day.replace(day=1)] += premium
        payouts[day.replace(day=1)] += payout
    return dict(premiums), dict(payouts)


def _money_trend(board: Dashboard, days, now):
    premiums, payouts = month_sums(days)
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


def _claims_trend(board: Dashboard, shop, now):
    """Claims per Asia/Shanghai week (Monday) by reason, from the per-day, per-reason rollup."""
    local_today = now.astimezone(SHANGHAI).date()
    this_week = local_today - dt.timedelta(days=local_today.weekday())
    start = this_week - dt.timedelta(weeks=WEEKS - 1)
    counts: dict = {}
    for day, reason, n in selectors.shop_claims_per_day(shop=shop, since=start):
        week = counts.setdefault(day - dt.timedelta(days=day.weekday()), {})
        week[reason] = week.get(reason, 0) + n
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
