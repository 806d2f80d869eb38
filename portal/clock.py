"""R2: instants are aware UTC; calendar dates are Asia/Shanghai dates."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_date(instant: dt.datetime) -> dt.date:
    """The Asia/Shanghai calendar date of an aware instant."""
    return instant.astimezone(SHANGHAI).date()


def today() -> dt.date:
    return local_date(timezone.now())


def start_of_day(day: dt.date) -> dt.datetime:
    """00:00 Asia/Shanghai on `day`, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)
