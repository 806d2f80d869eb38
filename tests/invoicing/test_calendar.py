"""R72: the 6-working-day deadline on the mainland-China calendar (weekends and statutory
holidays off, official make-up working days 调休 on), against the official 2025 and 2026
schedules, with finance's overrides, and the warning for a year without a schedule.

Official schedules (State Council notices; each date below was also checked against the
`holidays` package data, `holidays.country_holidays("CN", years=...)`):
- 2025 Spring Festival: off Tue 28 Jan - Tue 4 Feb; make-up working days Sun 26 Jan, Sat 8 Feb.
- 2025 National Day + Mid-Autumn: off Wed 1 - Wed 8 Oct; make-up Sun 28 Sep, Sat 11 Oct.
- 2026 Spring Festival: off Sun 15 - Mon 23 Feb; make-up Sat 14 Feb, Sat 28 Feb.
- 2026 Mid-Autumn: off Fri 25 Sep. National Day: off Thu 1 - Wed 7 Oct; make-up Sun 20 Sep,
  Sat 10 Oct.
- 2026 Labour Day: off Fri 1 - Tue 5 May; make-up Sat 9 May.
Counting: the request's own (Asia/Shanghai) date never counts; then each working day is 1..6.
"""

import datetime as dt

import pytest

from invoicing import calendar
from invoicing.calendar import (
    add_working_days,
    invoice_deadline,
    is_working_day,
    official_makeup_days,
    schedule_missing_for,
)
from invoicing.models import CalendarOverride
from tests.invoicing.helpers import shanghai

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.mark.parametrize(
    ("requested", "deadline"),
    [
        # An ordinary week: Mon 1 Jun 2026 -> Tue 2, Wed 3, Thu 4, Fri 5 (4), Mon 8 (5), Tue 9 (6).
        (D(2026, 6, 1), D(2026, 6, 9)),
        # Just before the 2026 Spring Festival, Fri 13 Feb: Sat 14 (make-up, 1); 15-23 off;
        # Tue 24 (2), Wed 25 (3), Thu 26 (4), Fri 27 (5), Sat 28 (make-up, 6).
        (D(2026, 2, 13), D(2026, 2, 28)),
        # On the make-up Saturday 14 Feb 2026 itself: it does not count; 15-23 off;
        # Tue 24 (1) .. Fri 27 (4), Sat 28 (make-up, 5), Mon 2 Mar (6).
        (D(2026, 2, 14), D(2026, 3, 2)),
        # On a holiday, Wed 18 Feb 2026 (春节): Thu 19 - Mon 23 off; Tue 24 (1) .. Fri 27 (4),
        # Sat 28 (make-up, 5), Mon 2 Mar (6).
        (D(2026, 2, 18), D(2026, 3, 2)),
        # On the second make-up Saturday, 28 Feb 2026: Mon 2 Mar (1) .. Fri 6 (5), Mon 9 (6).
        (D(2026, 2, 28), D(2026, 3, 9)),
        # Just before the 2026 National Day, Wed 30 Sep: 1-7 Oct off; Thu 8 (1), Fri 9 (2),
        # Sat 10 (make-up, 3), Sun 11 off, Mon 12 (4), Tue 13 (5), Wed 14 (6).
        (D(2026, 9, 30), D(2026, 10, 14)),
        # On the make-up Sunday 20 Sep 2026: Mon 21 (1) .. Thu 24 (4), Fri 25 off (中秋),
        # weekend, Mon 28 (5), Tue 29 (6).
        (D(2026, 9, 20), D(2026, 9, 29)),
        # On a National Day holiday, Thu 1 Oct 2026: same as the day before it: Wed 14 Oct.
        (D(2026, 10, 1), D(2026, 10, 14)),
        # Before Labour Day 2026, Thu 30 Apr: 1-5 May off; Wed 6 (1), Thu 7 (2), Fri 8 (3),
        # Sat 9 (make-up, 4), Mon 11 (5), Tue 12 (6).
        (D(2026, 4, 30), D(2026, 5, 12)),
        # Just before the 2025 Spring Festival, Fri 24 Jan: Sat 25 off, Sun 26 (make-up, 1),
        # Mon 27 (2), 28 Jan - 4 Feb off, Wed 5 (3), Thu 6 (4), Fri 7 (5), Sat 8 (make-up, 6).
        (D(2025, 1, 24), D(2025, 2, 8)),
        # On the make-up Sunday 26 Jan 2025: Mon 27 (1), Wed 5 Feb (2) .. Fri 7 (4),
        # Sat 8 (make-up, 5), Mon 10 (6).
        (D(2025, 1, 26), D(2025, 2, 10)),
        # On a holiday, Thu 30 Jan 2025 (春节): Wed 5 Feb (1) .. Fri 7 (3), Sat 8 (make-up, 4),
        # Mon 10 (5), Tue 11 (6).
        (D(2025, 1, 30), D(2025, 2, 11)),
        # On the make-up Sunday 28 Sep 2025, just before National Day: Mon 29 (1), Tue 30 (2),
        # 1-8 Oct off, Thu 9 (3), Fri 10 (4), Sat 11 (make-up, 5), Sun 12 off, Mon 13 (6).
        (D(2025, 9, 28), D(2025, 10, 13)),
        # Tue 30 Sep 2025: Thu 9 Oct (1), Fri 10 (2), Sat 11 (make-up, 3), Mon 13 (4),
        # Tue 14 (5), Wed 15 (6).
        (D(2025, 9, 30), D(2025, 10, 15)),
        # On the make-up Saturday 11 Oct 2025: Mon 13 (1) .. Fri 17 (5), Mon 20 (6).
        (D(2025, 10, 11), D(2025, 10, 20)),
    ],
    ids=str,
)
def test_R72_deadline_is_the_6th_working_day_after_the_request_date(requested, deadline):
    assert add_working_days(requested, 6) == deadline
    at = shanghai(requested.year, requested.month, requested.day, 15, 0)
    assert invoice_deadline(at) == calendar.end_of_day(deadline)


def test_R72_the_package_knows_the_official_make_up_days_of_2025_and_2026():
    assert official_makeup_days(2025) == [
        D(2025, 1, 26),
        D(2025, 2, 8),
        D(2025, 4, 27),
        D(2025, 9, 28),
        D(2025, 10, 11),
    ]
    assert official_makeup_days(2026) == [
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    ]


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 2, 14), True),  # make-up Saturday (调休)
        (D(2026, 2, 23), False),  # Monday, Spring Festival day off
        (D(2026, 2, 21), False),  # an ordinary Saturday within the holiday
        (D(2026, 3, 7), False),  # an ordinary Saturday
        (D(2026, 3, 9), True),  # an ordinary Monday
        (D(2025, 10, 8), False),  # Wednesday, last day of the 2025 National Day holiday
    ],
)
def test_R72_working_days_follow_the_official_schedule(day, working):
    assert is_working_day(day) is working


def test_R72_the_deadline_is_the_end_of_that_day_in_shanghai():
    deadline = invoice_deadline(shanghai(2026, 6, 1, 9, 0))

    assert deadline == shanghai(2026, 6, 9, 23, 59, 59, 999999)
    assert deadline.astimezone(dt.UTC) == dt.datetime(2026, 6, 9, 15, 59, 59, 999999, dt.UTC)


def test_R2_R72_the_request_date_is_the_shanghai_date():
    # 23:30 on Fri 13 Feb in Shanghai is still the 13th: deadline Sat 28 Feb.
    assert invoice_deadline(shanghai(2026, 2, 13, 23, 30)).date() == D(2026, 2, 28)
    # 00:30 on Sat 14 Feb in Shanghai is 16:30 UTC on the 13th, but the Shanghai date is
    # the 14th (a make-up Saturday, not counted): deadline Mon 2 Mar.
    at = dt.datetime(2026, 2, 13, 16, 30, tzinfo=dt.UTC)
    assert invoice_deadline(at).date() == D(2026, 3, 2)


def test_R72_an_override_wins_over_the_package():
    # Say the State Council moved a working day: Tue 2 Jun 2026 off, Sat 6 Jun working.
    CalendarOverride.objects.create(date=D(2026, 6, 2), is_working_day=False, note="test")
    CalendarOverride.objects.create(date=D(2026, 6, 6), is_working_day=True, note="test")

    assert not is_working_day(D(2026, 6, 2))
    assert is_working_day(D(2026, 6, 6))
    # Mon 1 Jun: Wed 3 (1), Thu 4 (2), Fri 5 (3), Sat 6 (4), Mon 8 (5), Tue 9 (6).
    assert add_working_days(D(2026, 6, 1), 6) == D(2026, 6, 9)
    # Fri 5 Jun: Sat 6 (1), Mon 8 (2) .. Thu 11 (5), Fri 12 (6).
    assert add_working_days(D(2026, 6, 5), 6) == D(2026, 6, 12)


def test_R72_a_long_stretch_of_days_off_in_the_overrides_is_counted_through():
    CalendarOverride.objects.bulk_create(
        CalendarOverride(date=D(2026, 6, 1) + dt.timedelta(days=i), is_working_day=False, note="x")
        for i in range(60)
    )
    # 1 Jun - 30 Jul off; Fri 31 Jul (1), Mon 3 Aug (2) .. Thu 6 (5), Fri 7 (6).
    assert add_working_days(D(2026, 5, 31), 6) == D(2026, 8, 7)


def test_R72_add_working_days_needs_a_positive_count():
    with pytest.raises(ValueError):
        add_working_days(D(2026, 6, 1), 0)


def test_R72_counting_a_week_costs_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        add_working_days(D(2026, 2, 13), 6)


def test_R72_2027_has_no_published_schedule_yet_2025_and_2026_do():
    assert schedule_missing_for(2027)
    assert not schedule_missing_for(2026)
    assert not schedule_missing_for(2025)


def test_R72_an_override_in_the_year_counts_as_its_schedule():
    CalendarOverride.objects.create(
        date=D(2027, 2, 20), is_working_day=True, note="2027 Spring Festival make-up day"
    )
    assert not schedule_missing_for(2027)


def test_R72_the_coming_year_without_schedule_is_counted_with_weekends_and_estimates():
    # Wed 30 Dec 2026: Thu 31 (1), Fri 1 Jan 2027 off (元旦), weekend, Mon 4 (2) .. Fri 8 (6).
    assert add_working_days(D(2026, 12, 30), 6) == D(2027, 1, 8)
