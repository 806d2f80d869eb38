"""R72: the mainland-China working-day calendar and the invoice deadline.

A day is a working day when a `CalendarOverride` row says so; otherwise the `holidays`
package decides: weekends and statutory holidays are off, the official make-up working
days (调休, weekend days that are working days) are on. Finance staff add overrides in
the admin when the State Council's schedule and the package disagree, or when the package
has no schedule yet for a year (it is published around November): no release needed.

Dates here are Asia/Shanghai calendar dates (R2).
"""

import datetime as dt
from functools import lru_cache

import holidays

from portal.clock import SHANGHAI, local_date

DEADLINE_WORKING_DAYS = 6  # R72
_ONE_DAY = dt.timedelta(days=1)
# add_working_days gives up after this many calendar days (a calendar with no working day).
_MAX_SPAN_DAYS = 3 * 366


@lru_cache(maxsize=16)
def official(year: int) -> holidays.HolidayBase:
    """The `holidays` package's calendar of one year, built once per process.

    `expand=False`: looking up a date of another year never grows this object (it is shared
    between threads); callers always ask the object of the date's own year.
    """
    return holidays.country_holidays("CN", years=year, expand=False)


def official_is_working_day(day: dt.date) -> bool:
    return official(day.year).is_working_day(day)


def official_makeup_days(year: int) -> list[dt.date]:
    """The package's make-up working days (调休) of `year`, empty when it has no schedule."""
    return sorted(d for d in official(year).weekend_workdays if d.year == year)


def overrides_between(first: dt.date, last: dt.date) -> dict[dt.date, bool]:
    """Finance's corrections for [first, last]: {date: is working day}. One query."""
    from invoicing.models import CalendarOverride

    return dict(
        CalendarOverride.objects.filter(date__gte=first, date__lte=last).values_list(
            "date", "is_working_day"
        )
    )


def is_working_day(day: dt.date, *, overrides: dict[dt.date, bool] | None = None) -> bool:
    """R72: an override wins; otherwise the official schedule (weekends, holidays, 调休)."""
    if overrides is None:
        overrides = overrides_between(day, day)
    if day in overrides:
        return overrides[day]
    return official_is_working_day(day)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start`; `start` itself never counts, working or not."""
    if n < 1:
        raise ValueError("n must be at least 1")
    window_end = start + dt.timedelta(days=max(31, 4 * n))
    overrides = overrides_between(start + _ONE_DAY, window_end)
    day, counted = start, 0
    while counted < n:
        day += _ONE_DAY
        if day > window_end:  # a long run of days off: fetch the next stretch of overrides
            if (day - start).days > _MAX_SPAN_DAYS:
                raise ValueError(f"no {n} working days within three years after {start}")
            window_end = day + dt.timedelta(days=90)
            overrides |= overrides_between(day, window_end)
        if is_working_day(day, overrides=overrides):
            counted += 1
    return day


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of `day` in Asia/Shanghai (23:59:59.999999), aware."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=SHANGHAI)


def invoice_deadline(requested_at: dt.datetime) -> dt.datetime:
    """R72: the end of the 6th working day after the request's Asia/Shanghai date.

    Stored on the request (R90) as that inclusive end instant: a request is overdue when
    it is not processed and now > deadline.
    """
    return end_of_day(add_working_days(local_date(requested_at), DEADLINE_WORKING_DAYS))


def schedule_missing_for(year: int) -> bool:
    """True when nothing tells the portal `year`'s official schedule: the package has no
    make-up working days for it and finance entered no override in it."""
    from invoicing.models import CalendarOverride

    if official_makeup_days(year):
        return False
    return not CalendarOverride.objects.filter(
        date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)
    ).exists()
