"""R51: the risk-pricing model on worked examples (base 1.50%, bounds 0.50%-5.00%)."""

from decimal import Decimal as D

import pytest

from enrollment.pricing import Bounds, Experience, price

BOUNDS = Bounds(base_rate=D("0.0150"), min_rate=D("0.0050"), max_rate=D("0.0500"))


def exp(premiums, payouts, policies, claims):
    return Experience(premiums=D(premiums), payouts=D(payouts), policies=policies, claims=claims)


def test_R51_a_shop_without_history_pays_the_industry_base_rate():
    quote = price(Experience(data_note="no data yet"), BOUNDS)

    assert quote.rate == D("0.0150")
    assert quote.credibility == 0
    assert "industry base rate" in quote.explanation
    assert "no data yet" in quote.explanation


def test_R51_a_shop_losing_exactly_as_expected_pays_the_base_rate():
    # LR = 6000/10000 = 60% (target), F = 30/1000 = 3% (expected), full credibility.
    quote = price(exp("10000.00", "6000.00", 1000, 30), BOUNDS)

    assert (quote.loss_ratio, quote.frequency, quote.factor) == (D("0.6000"), D("0.0300"), D("1"))
    assert quote.rate == D("0.0150")


def test_R51_a_better_run_shop_pays_less_rounded_half_up():
    # LR 30%, F 2%: E = 0.7*0.5 + 0.3*(2/3) = 0.55; 1.50% * 0.55 = 0.825% -> 0.83% (half-up).
    quote = price(exp("10000.00", "3000.00", 1000, 20), BOUNDS)

    assert quote.factor == D("0.5500")
    assert quote.rate == D("0.0083")
    assert not quote.clamped


def test_R51_a_worse_run_shop_pays_more():
    # LR 120%, F 6%: E = 0.7*2 + 0.3*2 = 2.0 -> 3.00%.
    assert price(exp("10000.00", "12000.00", 1000, 60), BOUNDS).rate == D("0.0300")


def test_R51_the_rate_is_clamped_to_the_insurers_lowest_rate():
    # LR 15%, F 1%: E = 0.175 + 0.1 = 0.275 -> 0.4125%, raised to 0.50%.
    quote = price(exp("20000.00", "3000.00", 2000, 20), BOUNDS)

    assert quote.rate == D("0.0050")
    assert quote.clamped
    assert "lowest rate" in quote.explanation


def test_R51_the_rate_is_clamped_to_the_insurers_highest_rate():
    # LR 300%, F 10%: E = 3.5 + 1.0 = 4.5 -> 6.75%, capped at 5.00%.
    quote = price(exp("10000.00", "30000.00", 1000, 100), BOUNDS)

    assert quote.rate == D("0.0500")
    assert "highest rate" in quote.explanation


def test_R51_a_small_shop_is_priced_near_the_base_rate():
    # 100 policies -> credibility 10%; E = 2.0 -> M = 1 + 0.1 * 1.0 = 1.1 -> 1.65%.
    quote = price(exp("1000.00", "1200.00", 100, 6), BOUNDS)

    assert quote.credibility == D("0.1000")
    assert quote.rate == D("0.0165")


def test_R51_the_model_is_deterministic_and_records_its_inputs():
    a = price(exp("12345.67", "2345.67", 777, 11), BOUNDS)
    b = price(exp("12345.67", "2345.67", 777, 11), BOUNDS)

    assert a == b
    assert a.inputs["premiums"] == "12345.67"
    assert a.inputs["policies"] == 777


@pytest.mark.parametrize(
    ("better", "worse"),
    [
        (exp("10000", "5000", 1000, 30), exp("10000", "7000", 1000, 30)),  # lower losses
        (exp("10000", "3000", 1000, 10), exp("10000", "3000", 1000, 40)),  # fewer claims
    ],
)
def test_R51_the_better_a_shop_runs_the_lower_its_rate(better, worse):
    assert price(better, BOUNDS).rate < price(worse, BOUNDS).rate
