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
from django.utils.translation import ngettext

from claims import charts, selectors
from claims.models import COVERED_REASONS, ClaimState, RefundReason
from enrollment import selectors as enrollment_selectors
from enrollment.models import EnrollmentState
from portal.clock import SHANGHAI
from portal.formats import format_date, format_month
from portal.templatetags.portal import percent

MONTHS, WEEKS = 12, 12
# What the page shows of a return awaiting the merchant (0.5 ms less than whole rows of
# the claim, its refund and order: issue 10).


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
    partial_month: str = ""  # the month under way, e.g. "2026-12", when it has not ended
    partial_note: str = ""  # what the page says of it: "month to date: 1 day"

    # What the Django template does with its filters, for the Jinja2 one (issue 10).
    def rate_percent(self) -> str:
        """`{{ board.rate.rate|percent }}`."""
        return percent(self.rate.rate) if self.rate else ""

    def exit_dates(self) -> str:
        """R15: `{% blocktranslate with exit=…|date:"Y-m-d" again=… %}Exited on {{ exit }}…`."""
        return _("Exited on %(exit)s. Your shop may apply again from %(again)s.") % {
            "exit": f"{self.enrollment.exit_date:%Y-%m-%d}",
            "again": f"{self.enrollment.reentry_date:%Y-%m-%d}",
        }

    def effective_since(self) -> str:
        """`{% blocktranslate with date=…|date:"Y-m-d" %}effective since {{ date }}…`."""
        return _("effective since %(date)s") % {"date": format_date(self.enrollment.effective_at)}


def _month_start(now: dt.datetime, months_back: int = 0) -> dt.datetime:
    local = now.astimezone(SHANGHAI)
    year, month = local.year, local.month - months_back
    while month <= 0:
        month += 12
        year -= 1
    return dt.datetime(year, month, 1, tzinfo=SHANGHAI)


def dashboard_for_shop(*, shop, now: dt.datetime | None = None) -> Dashboard:
    """One read of the rollups (claims.rollups) whatever the shop's size, the returns that
    need the merchant, the enrollment and the rates: 4 queries."""
    now = now or timezone.now()
    this_month = _month_start(now).date()
    local_today = now.astimezone(SHANGHAI).date()
    this_week = local_today - dt.timedelta(days=local_today.weekday())
    figures = selectors.shop_figures(
        shop=shop,
        days_since=_month_start(now, MONTHS - 1).date(),
        claims_since=this_week - dt.timedelta(weeks=WEEKS - 1),
    )
    month = [row for row in figures.days if row[0] >= this_month]
    states = figures.claims_by_state
    rates = enrollment_selectors.rates_latest(shop_id=shop.pk, count=MONTHS)
    enrollment = enrollment_selectors.enrollment_open(
        shop=shop
    ) or enrollment_selectors.enrollment_latest(shop=shop)
    exited = enrollment is not None and enrollment.state == EnrollmentState.EXITED
    board = Dashboard(
        enrollment=enrollment,
        # R15: an exited shop pays no rate; its page says when it left and may come back
        rate=None if exited else _rate_in_force(rates, shop, now),
        needs_action=selectors.claims_awaiting_merchant_first(shop=shop),
        month_policies=sum(policies for _day, policies, _p, _q in month),
        month_premiums=sum((premiums for _d, _n, premiums, _q in month), Decimal("0.00")),
        month_payouts=sum((payouts for _d, _n, _p, payouts in month), Decimal("0.00")),
        claims_by_state=[(s, s.label, states[s]) for s in ClaimState if states.get(s)],
    )
    _money_trend(board, figures.days, now)
    _claims_trend(board, figures.claims_per_day, this_week)
    _rate_trend(board, rates, now)
    return board


def _rate_in_force(rates: list, shop, now):
    """R50: the newest rate in effect at `now` (rates_for_shop's order, as rate_in_force);
    asked of the database only when all the latest rates take effect later."""
    for rate in rates:
        if rate.effective_from <= now:
            return rate
    return enrollment_selectors.rate_in_force(shop_id=shop.pk, at=now) if rates else None


def month_sums(days) -> tuple[dict, dict]:
    """Premiums and payouts per Asia/Shanghai month (its first day) of the rollup days."""
    premiums: dict = defaultdict(lambda: Decimal("0.00"))
    payouts: dict = defaultdict(lambda: Decimal("0.00"))
    for day, _policies, premium, payout in days:
        premiums[day.replace(day=1)] += premium
        payouts[day.replace(day=1)] += payout
    return dict(premiums), dict(payouts)


def partial_month_note(now: dt.datetime) -> str:
    """What a month still under way says of itself (its loss ratio is not the month's):
    "month to date: 1 day" on its first day (issue 11)."""
    days = now.astimezone(SHANGHAI).day
    return ngettext("month to date: %(days)s day", "month to date: %(days)s days", days) % {
        "days": days
    }


def _money_trend(board: Dashboard, days, now):
    premiums, payouts = month_sums(days)
    for i in range(MONTHS - 1, -1, -1):
        month = _month_start(now, i).date()
        premium, payout = premiums.get(month, Decimal("0.00")), payouts.get(month, Decimal("0.00"))
        ratio = f"{payout / premium * 100:.0f}%" if premium else "—"
        board.money_rows.append((format_month(month), premium, payout, ratio))
    # The current month is always under way: its figures are so far, not the month's.
    board.partial_month, board.partial_note = board.money_rows[-1][0], partial_month_note(now)
    board.money_chart = charts.paired_bars(
        _("Premiums and payouts per month"),
        [(label, p, q, label == board.partial_month) for label, p, q, _r in board.money_rows],
        labels=(_("Premiums"), _("Payouts")),
        partial_note=board.partial_note,
    )


def _claims_trend(board: Dashboard, claims_per_day, this_week: dt.date):
    """Claims per Asia/Shanghai week (Monday) by reason, from the per-day, per-reason rollup."""
    counts: dict = {}
    for day, reason, n in claims_per_day:
        week = counts.setdefault(day - dt.timedelta(days=day.weekday()), {})
        week[reason] = week.get(reason, 0) + n
    # The labels translated once, not once a bar (they are lazy; issue 10).
    keys = [(r.value, str(r.label)) for r in RefundReason if r in COVERED_REASONS]
    for i in range(WEEKS - 1, -1, -1):
        week = this_week - dt.timedelta(weeks=i)
        board.claim_rows.append((format_date(week), counts.get(week, {})))
    board.claims_chart = charts.stacked_bars(_("Claims per week by reason"), board.claim_rows, keys)
    board.claim_keys = keys


def _rate_trend(board: Dashboard, rates: list, now: dt.datetime):
    """The rates on a true time axis, from the oldest shown to now (issue 11)."""
    board.rate_rows = [(rate.effective_from, rate.rate) for rate in reversed(rates)]
    board.rate_chart = charts.step_line(_("Premium rate over time"), board.rate_rows, until=now)
