"""Issue 11: the dashboard's charts say what they show: money axes in yuan, the rate on a
true time axis, and the month under way marked as partial rather than shown as a month."""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.utils import translation

from claims import charts
from claims.dashboard import dashboard_for_shop, partial_month_note
from portal.clock import SHANGHAI


def circles_x(svg: str) -> list[float]:
    return [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', svg)]


def axis_texts(svg: str) -> list[str]:
    return re.findall(r'class="axis"[^>]*>([^<]*)</text>', svg)


def test_the_rate_chart_places_each_rate_at_a_distance_proportional_to_its_date():
    days = [dt.date(2026, 10, 2), dt.date(2026, 10, 2), dt.date(2026, 11, 1), dt.date(2026, 12, 1)]
    points = list(zip(days, [D("0.015"), D("0.012"), D("0.013"), D("0.011")], strict=True))

    xs = circles_x(charts.step_line("rate", points, until=dt.date(2026, 12, 1)))

    offsets = [x - charts.PAD_LEFT for x in xs]
    assert offsets[0] == offsets[1] == 0  # the same day is the same place, not the next slot
    assert offsets[2] / offsets[3] == pytest.approx(30 / 60, abs=0.01)
    assert xs[3] == pytest.approx(charts.PAD_LEFT + charts.PLOT_WIDTH)


def test_the_rate_axis_runs_to_today_so_a_rate_in_force_for_long_shows_long():
    points = [(dt.date(2026, 10, 1), D("0.015")), (dt.date(2026, 10, 11), D("0.012"))]

    xs = circles_x(charts.step_line("rate", points, until=dt.date(2026, 11, 30)))

    assert (xs[1] - xs[0]) / charts.PLOT_WIDTH == pytest.approx(10 / 60, abs=0.01)
    assert "2026-11-30" in axis_texts(charts.step_line("rate", points, until=dt.date(2026, 11, 30)))


def test_time_positions_of_instants_are_proportional_to_time():
    start = dt.datetime(2026, 10, 1, tzinfo=SHANGHAI)
    xs = charts.time_x([start, start + dt.timedelta(hours=6)], start + dt.timedelta(days=1))
    assert (xs[1] - xs[0]) / charts.PLOT_WIDTH == pytest.approx(0.25)


def test_a_single_rate_still_draws():
    svg = charts.step_line("rate", [(dt.date(2026, 10, 1), D("0.015"))], until=dt.date(2026, 10, 1))
    assert circles_x(svg) == [charts.PAD_LEFT] and "1.50%" in svg


def test_money_axes_are_in_yuan():
    svg = charts.paired_bars("money", [("2026-11", D("1221.00"), D("300.50"))])

    assert axis_texts(svg)[:3] == ["¥0.00", "¥1,000.00", "¥2,000.00"]
    assert "¥1,221.00" in svg and "¥300.50" in svg  # the bars' tooltips


def test_the_month_under_way_is_drawn_apart_and_says_so():
    rows = [("2026-11", D("100.00"), D("10.00"), False), ("2026-12", D("1.00"), D("94.66"), True)]

    svg = charts.paired_bars("money", rows, labels=("P", "Q"), partial_note="month to date: 1 day")

    assert svg.count('class="partial"') == 2  # both bars of December only
    assert "2026-12*" in axis_texts(svg) and "2026-11" in axis_texts(svg)
    assert "(month to date: 1 day)" in svg


@pytest.mark.parametrize(
    ("top", "nice"), [(0, 1), (D("0.4"), D("0.5")), (1221, 2000), (2500, 2500)]
)
def test_axis_tops_are_round_numbers_at_or_above_the_largest_value(top, nice):
    assert charts.nice_maximum(top) == nice


def test_the_partial_note_counts_the_days_of_the_month_so_far():
    first_day = dt.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
    with translation.override("en"):
        assert partial_month_note(first_day) == "month to date: 1 day"
        assert partial_month_note(first_day + dt.timedelta(days=9)) == "month to date: 10 days"
    with translation.override("zh-hans"):
        assert partial_month_note(first_day) == "本月至今 1 天"


@pytest.mark.django_db
def test_the_dashboard_marks_its_current_month_as_partial(shop):
    now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
    with translation.override("en"):
        board = dashboard_for_shop(shop=shop, now=now)

    assert board.partial_month == board.money_rows[-1][0] == "2026-12"
    assert board.partial_note == "month to date: 1 day"
    assert "2026-12*" in axis_texts(board.money_chart)
    assert "¥" in "".join(axis_texts(board.money_chart))
