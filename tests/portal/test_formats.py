"""Issue 11 (R1, R2): pages and e-mails show money as ¥1,770.60 and time as 2026-12-02 11:32
in Asia/Shanghai, through one helper each, the same in Django templates and Jinja2."""

import datetime as dt
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.template import engines

from portal.formats import format_date, format_datetime, format_money, format_month

UTC = dt.UTC
# 2026-12-01 16:30 UTC is already 2 December in Shanghai (UTC+8).
LATE_EVENING_UTC = dt.datetime(2026, 12, 1, 16, 30, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (D("1770.6"), "¥1,770.60"),
        (D("1221"), "¥1,221.00"),
        (D("0.005"), "¥0.01"),  # half-up to the fen (R1)
        (D("0.004"), "¥0.00"),
        (D("2.675"), "¥2.68"),
        (D("-1770.6"), "-¥1,770.60"),
        (D("-0.005"), "-¥0.01"),
        (D("-0.004"), "¥0.00"),  # rounds to zero: no "-¥0.00"
        (D("0"), "¥0.00"),
        (0, "¥0.00"),
        (D("123456789012.345"), "¥123,456,789,012.35"),
        (199, "¥199.00"),
        ("10.10", "¥10.10"),
    ],
)
def test_money_is_shown_with_the_yuan_sign_thousands_and_two_places(value, shown):
    assert format_money(value) == shown


def test_money_shows_nothing_for_no_value():
    assert format_money(None) == "" and format_money("") == ""


def test_R1_money_display_refuses_floats():
    with pytest.raises(TypeError):
        format_money(1770.6)


def test_R2_an_instant_is_shown_in_shanghai_time_to_the_minute():
    assert format_datetime(LATE_EVENING_UTC) == "2026-12-02 00:30"
    assert format_date(LATE_EVENING_UTC) == "2026-12-02"
    assert format_month(dt.datetime(2026, 11, 30, 16, 0, tzinfo=UTC)) == "2026-12"


def test_R2_an_instant_in_any_zone_is_converted_not_relabelled():
    new_york = dt.datetime(2026, 12, 1, 11, 30, 59, tzinfo=ZoneInfo("America/New_York"))
    assert format_datetime(new_york) == "2026-12-02 00:30"


def test_a_calendar_date_is_shown_as_it_is():
    day = dt.date(2026, 3, 9)
    assert format_date(day) == "2026-03-09"
    assert format_datetime(day) == "2026-03-09"
    assert format_month(day) == "2026-03"


def test_no_value_shows_nothing():
    assert format_date(None) == format_datetime(None) == format_month("") == ""


TEMPLATE_DJANGO = (
    "{% load portal %}{{ amount|money }} {{ at|local_datetime }} {{ at|local_date }} "
    "{{ at|local_month }}"
)
TEMPLATE_JINJA2 = (
    "{{ amount|money }} {{ at|local_datetime }} {{ at|local_date }} {{ at|local_month }}"
)


@pytest.mark.parametrize(
    ("engine", "source"), [("django", TEMPLATE_DJANGO), ("jinja2", TEMPLATE_JINJA2)]
)
def test_R2_both_template_engines_have_the_same_filters(engine, source):
    template = engines[engine].from_string(source)

    shown = template.render({"amount": D("-1234.5"), "at": LATE_EVENING_UTC})

    assert shown == "-¥1,234.50 2026-12-02 00:30 2026-12-02 2026-12"
    assert "+00:00" not in shown
