"""The one way a page or an e-mail shows money and time (issue 11, point 7; R1, R2).

- money: `¥1,770.60` (yuan sign, thousands separated, always two places, half-up to the fen
  by `portal.money.money`), negative as `-¥1,770.60`;
- a date: `2026-12-02`; a moment: `2026-12-02 11:32`; a month: `2026-12`, every one in
  Asia/Shanghai (an aware datetime is converted first, so no page shows UTC or "+00:00").

The same functions are the Django template filters (`{% load portal %}`: `|money`,
`|local_date`, `|local_datetime`, `|local_month`) and the Jinja2 filters of the same
names (portal/jinja2.py). The hot lists call them on every row, so they stay a few
attribute lookups and one format call (bench/render.py measures the lists). CSV exports
keep their own machine-readable columns (portal/csv_export.py).
"""

import datetime as dt

from portal.clock import SHANGHAI
from portal.money import money

_DATETIME = dt.datetime
_DATE = dt.date


def format_money(value) -> str:
    """`Decimal("1770.6")` -> `¥1,770.60`; `-5` -> `-¥5.00`; None or "" -> ""."""
    if value is None or value == "":
        return ""
    amount = money(value)
    if amount < 0:
        return f"-¥{-amount:,}"
    if not amount:  # also -0.00, which would print as "-0.00"
        return "¥0.00"
    return f"¥{amount:,}"


def _local(value):
    if isinstance(value, _DATETIME) and value.tzinfo is not None:
        return value.astimezone(SHANGHAI)
    return value


def format_date(value) -> str:
    """A date, or the Asia/Shanghai date of an instant: `2026-12-02`."""
    if value is None or value == "":
        return ""
    return _local(value).strftime("%Y-%m-%d")


def format_datetime(value) -> str:
    """An instant in Asia/Shanghai to the minute: `2026-12-02 11:32`; a date shows alone."""
    if value is None or value == "":
        return ""
    if not isinstance(value, _DATETIME) and isinstance(value, _DATE):
        return value.strftime("%Y-%m-%d")
    return _local(value).strftime("%Y-%m-%d %H:%M")


def format_month(value) -> str:
    """The Asia/Shanghai month of a date or an instant: `2026-12`."""
    if value is None or value == "":
        return ""
    return _local(value).strftime("%Y-%m")
