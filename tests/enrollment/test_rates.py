"""R50, R52: rate history, the rate in force at T, underwriter overrides, the repricing job."""

import datetime as dt
from decimal import Decimal as D

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command

from enrollment import repricing, selectors, services
from enrollment.models import PremiumRate, RateSource
from portal.clock import SHANGHAI

pytestmark = pytest.mark.django_db


def at(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def shop(alice, uma):
    from tests.conftest import enroll

    with time_machine.travel(at(2026, 1, 1, 9), tick=False):
        enroll(alice, uma)
    return alice.merchant.shop


def test_R50_the_rate_in_force_is_the_latest_with_effective_from_not_after_T(shop, uma):
    with time_machine.travel(at(2026, 2, 1, 9), tick=False):
        services.rate_override(shop_id=shop.pk, rate="0.0120", reason="good record", actor=uma)
        services.rate_override(
            shop_id=shop.pk, rate="0.0100", reason="pilot", actor=uma, effective_from=at(2026, 3, 1)
        )

    def rate_at(instant):
        return selectors.rate_in_force(shop_id=shop.pk, at=instant).rate

    assert rate_at(at(2026, 1, 15)) == D("0.0150")  # the first, model rate
    assert rate_at(at(2026, 2, 1, 9)) == D("0.0120")
    assert rate_at(at(2026, 2, 28, 23, 59)) == D("0.0120")
    assert rate_at(at(2026, 3, 1)) == D("0.0100")
    assert selectors.rate_in_force(shop_id=shop.pk, at=at(2025, 12, 31)) is None


def test_R52_an_override_is_history_with_its_reason_and_author(shop, uma):
    override = services.rate_override(shop_id=shop.pk, rate="0.0125", reason="人工复核", actor=uma)

    assert (override.source, override.reason, override.created_by) == (
        RateSource.MANUAL,
        "人工复核",
        uma,
    )
    assert list(shop.rates.values_list("source", flat=True)) == ["manual", "model"]


@pytest.mark.parametrize(
    "bad_rate", ["-0.0100", "0", "0.0049", "0.0501", "1.5", "150", "abc", "", "NaN", "0.01234"]
)
def test_R52_an_override_with_a_negative_or_absurd_rate_is_refused(shop, uma, bad_rate):
    with pytest.raises(ValidationError) as error:
        services.rate_override(shop_id=shop.pk, rate=bad_rate, reason="typo", actor=uma)

    assert "rate" in error.value.message_dict
    assert shop.rates.count() == 1


def test_R52_an_override_needs_a_reason(shop, uma):
    with pytest.raises(ValidationError) as error:
        services.rate_override(shop_id=shop.pk, rate="0.0120", reason=" ", actor=uma)
    assert "reason" in error.value.message_dict
    assert shop.rates.count() == 1


def test_R52_an_override_cannot_take_effect_in_the_past(shop, uma):
    with pytest.raises(ValidationError) as error:
        services.rate_override(
            shop_id=shop.pk, rate="0.0120", reason="x", actor=uma, effective_from=at(2026, 1, 2)
        )
    assert "effective_from" in error.value.message_dict


def test_R51_repricing_keeps_an_unchanged_rate_and_writes_nothing(shop, capsys):
    call_command("reprice_shops")

    assert shop.rates.count() == 1
    assert "unchanged at 1.50%" in capsys.readouterr().out


def test_R51_R52_repricing_keeps_an_underwriters_override_in_force(shop, uma):
    services.rate_override(shop_id=shop.pk, rate="0.0300", reason="watch list", actor=uma)

    (result,) = repricing.shops_reprice()

    assert result[1] is None and "override" in result[2]
    assert selectors.rate_in_force(shop_id=shop.pk).rate == D("0.0300")


def test_R51_repricing_follows_a_change_of_the_industry_base_rate(shop):
    from enrollment.models import IndustryPricing

    IndustryPricing.objects.filter(industry=shop.industry).update(base_rate=D("0.0180"))

    (result,) = repricing.shops_reprice()

    assert result[1].rate == D("0.0180")
    assert result[1].source == RateSource.MODEL
    assert selectors.rate_in_force(shop_id=shop.pk).rate == D("0.0180")


def test_R51_shops_without_a_running_service_are_not_priced(alice, bob):
    assert repricing.shops_reprice() == []
    assert not PremiumRate.objects.exists()


def test_R51_the_model_prices_a_shop_from_its_own_policies_and_claims(client, shop, rita):
    """120 policies of 199.00 at 1.50% (2.99 each) and one claim paid 199.00 within 180 days."""
    from claims.models import Claim
    from claims.services import decisions
    from tests.factories import order_story
    from tests.platform_api import events as ev

    events = []
    for n in range(120):
        events += order_story(f"O{n}", shop.platform_shop_id)
    events.append(ev.refund_requested("R1", "O1"))
    ev.send(client, *events)
    decisions.claim_approve(claim_id=Claim.objects.get().pk, actor=rita)
    at = ev.T0 + dt.timedelta(days=30)

    experience = selectors.shop_experience(
        shop=shop, window_start=at - dt.timedelta(days=180), window_end=at + dt.timedelta(days=400)
    )

    assert (experience.policies, experience.claims) == (120, 1)
    assert experience.premiums == D("358.80")  # 120 x 2.99
    assert experience.payouts == D("199.00")
    # LR = 199/358.80 = 0.5546; F = 1/120; E = 0.7*0.9243 + 0.3*0.2778 = 0.7303;
    # credibility 120/1000 = 0.12 -> M = 1 + 0.12*(0.7303-1) = 0.9676 -> 1.50% x M = 1.45%
    from enrollment.pricing import price

    assert price(experience, selectors.pricing_bounds(industry=shop.industry)).rate == D("0.0145")
