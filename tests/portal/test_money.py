"""R1: money is Decimal with 2 places, half-up; never float."""

from decimal import Decimal as D

import pytest

from portal.money import money, percent, rate


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.005", "0.01"), ("0.004", "0.00"), ("2.675", "2.68"), ("-0.005", "-0.01"), (199, "199.00")],
)
def test_R1_money_rounds_half_up_to_the_fen(value, expected):
    assert money(D(value) if isinstance(value, str) else value) == D(expected)


def test_R1_money_refuses_floats():
    with pytest.raises(TypeError):
        money(0.1)


def test_rates_have_four_places_and_print_as_percent():
    assert rate(D("0.00825")) == D("0.0083")
    assert percent(D("0.0150")) == "1.50%"


def test_R1_sums_from_the_database_come_back_exact_to_the_fen():
    from portal.money import money_sum

    assert money_sum(358.800000000001) == D("358.80")
    assert money_sum(D("0.30")) == D("0.30")
    assert money_sum(None) == D("0.00")
