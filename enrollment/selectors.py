"""Reads of enrollment data: enrollment periods (R16), live invitations (R10), rates (R50)."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from django.db.models import QuerySet
from django.utils import timezone

from enrollment.models import (
    IN_FORCE_STATES,
    OPEN_STATES,
    Enrollment,
    EnrollmentState,
    IndustryPricing,
    Invitation,
    InvitationState,
    PremiumRate,
    RateSource,
    Shop,
)
from enrollment.pricing import Bounds, Experience
from portal.rawsql import JoinedRead

# A shop's enrollment periods, in a statement written once (issue 10: the ORM's
# filter(state__in=…).first() took 0.69 ms a call, this read 0.20 ms). A shop has a handful:
# one per application, re-entry included (R15, R16).
_SHOP_ENROLLMENTS = JoinedRead(Enrollment, where=("shop",), order_by=("-applied_at", "-id"))


def enrollment_open(*, shop: Shop) -> Enrollment | None:
    """The shop's pending application or running service, if any (at most one, R11)."""
    return next((e for e in _SHOP_ENROLLMENTS.all(shop.pk) if e.state in OPEN_STATES), None)


def enrollment_latest(*, shop: Shop) -> Enrollment | None:
    return Enrollment.objects.filter(shop=shop).order_by("-applied_at", "-id").first()


def enrollment_last_exited(*, shop: Shop) -> Enrollment | None:
    return (
        Enrollment.objects.filter(shop=shop, state=EnrollmentState.EXITED)
        .order_by("-exited_at")
        .first()
    )


def enrollments_for_shop(*, shop: Shop) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(shop=shop).order_by("-applied_at", "-id")


def invitation_live(*, shop: Shop, at: dt.datetime | None = None) -> Invitation | None:
    """R10: an invitation that is not expired, not revoked and not yet turned into a service."""
    at = at or timezone.now()
    return (
        Invitation.objects.filter(shop=shop, state=InvitationState.ISSUED, expires_at__gt=at)
        .exclude(enrollments__state__in=[*IN_FORCE_STATES, EnrollmentState.EXITED])
        .order_by("-expires_at")
        .first()
    )


def rate_in_force(*, shop_id: int, at: dt.datetime | None = None) -> PremiumRate | None:
    """R50: the latest rate with effective_from <= at."""
    at = at or timezone.now()
    return (
        PremiumRate.objects.filter(shop_id=shop_id, effective_from__lte=at)
        .order_by("-effective_from", "-id")
        .first()
    )


def rates_for_shop(*, shop_id: int) -> QuerySet[PremiumRate]:
    return PremiumRate.objects.filter(shop_id=shop_id).order_by("-effective_from", "-id")


@cache
def _rates_latest(count: int) -> JoinedRead:
    return JoinedRead(
        PremiumRate, where=("shop",), order_by=("-effective_from", "-id"), limit=count
    )


def rates_latest(*, shop_id: int, count: int) -> list[PremiumRate]:
    """The first `count` of `rates_for_shop`, in a statement written once (issue 10: the
    dashboard reads them on every view)."""
    return _rates_latest(count).all(shop_id)


def pricing_bounds(*, industry: str) -> Bounds:
    """R51 insurer settings for an industry (seeded by a data migration)."""
    p = IndustryPricing.objects.get(industry=industry)
    return Bounds(base_rate=p.base_rate, min_rate=p.min_rate, max_rate=p.max_rate)


# Who counts a shop's experience: the claims app, which holds the policies and claims, tells
# it here in its AppConfig.ready (`claims.selectors.shop_window`): enrollment imports no app
# above it.
_experience: list[Callable[..., dict]] = []


def experience_from(count: Callable[..., dict]) -> None:
    """`count(shop=, start=, end=)` gives {"premiums", "payouts", "policies", "claims"}."""
    _experience[:] = [count]


def shop_experience(
    *, shop: Shop, window_start: dt.datetime, window_end: dt.datetime
) -> Experience:
    """R51: the shop's premiums, payouts, policies and claims over [window_start, window_end).

    From the claims app's per-day rollups, the partial days at the window's ends from the raw
    rows (`claims.selectors.shop_window`): the same figures at any shop size (issue 10).
    """
    if not _experience:
        raise LookupError("no app counts a shop's experience: claims.apps registers it")
    window = _experience[0](shop=shop, start=window_start, end=window_end)
    return Experience(
        premiums=window["premiums"],
        payouts=window["payouts"],
        policies=window["policies"],
        claims=window["claims"],
    )


def shops_in_force() -> QuerySet[Shop]:
    return Shop.objects.filter(enrollments__state__in=IN_FORCE_STATES).distinct()


@dataclass(frozen=True)
class ShopTerms:
    """A shop's enrollment periods and rate history, read once and answered in memory.

    R16/R20: was the shop enrolled at an instant; R50: the rate in force then (as
    rate_in_force answers it), for the event API's hot path, where one batch asks them for
    many orders of the same shop.
    """

    shop: Shop
    periods: tuple  # ((effective_at, exited_at or None), ...)
    rates: tuple  # ((effective_from, id, rate), ...) ascending

    def enrolled_at(self, at: dt.datetime) -> bool:
        return any(start <= at and (end is None or end > at) for start, end in self.periods)

    def rate_at(self, at: dt.datetime) -> Decimal | None:
        in_force = None
        for effective_from, _pk, rate in self.rates:
            if effective_from > at:
                break
            in_force = rate
        return in_force


def shop_terms(*, platform_shop_id: str) -> ShopTerms | None:
    """Three queries, whatever the number of periods and rates the shop has had."""
    shop = Shop.objects.filter(platform_shop_id=platform_shop_id).first()
    if shop is None:
        return None
    periods = tuple(
        Enrollment.objects.filter(shop=shop, effective_at__isnull=False).values_list(
            "effective_at", "exited_at"
        )
    )
    rates = tuple(
        PremiumRate.objects.filter(shop=shop)
        .order_by("effective_from", "id")
        .values_list("effective_from", "id", "rate")
    )
    return ShopTerms(shop=shop, periods=periods, rates=rates)


@dataclass(frozen=True)
class RateExplained:
    """R50-R52, for the merchant: the rate in force, the override (if one is in force) and
    the risk model's inputs of the latest model rate: what makes the rate what it is."""

    rate: PremiumRate | None
    override: PremiumRate | None  # R52: an underwriter's rate in force, with its reason
    model: PremiumRate | None  # R51: the latest model rate up to now
    inputs: dict  # its inputs, as Decimals and ints (empty when the model has not run)
    clamped: str  # "", "min" or "max": the model's rate was held to the insurer's bounds


_DECIMAL_INPUTS = ("premiums", "payouts", "loss_ratio", "frequency", "credibility", "factor")
_RATE_INPUTS = ("base_rate", "min_rate", "max_rate")


def rate_explained(*, shop_id: int, at: dt.datetime | None = None) -> RateExplained:
    """One query: the latest rates up to `at`, newest first, down to a model rate."""
    at = at or timezone.now()
    in_force, model = None, None
    for rate in rates_for_shop(shop_id=shop_id).filter(effective_from__lte=at)[:50]:
        in_force = in_force or rate
        if rate.source == RateSource.MODEL and rate.inputs:
            model = rate
            break
    inputs = _parsed_inputs(model.inputs) if model else {}
    clamped = ""
    if inputs:
        raw = inputs["base_rate"] * inputs["factor"]
        clamped = "min" if raw < inputs["min_rate"] else "max" if raw > inputs["max_rate"] else ""
    override = in_force if in_force and in_force.source == RateSource.MANUAL else None
    return RateExplained(in_force, override, model, inputs, clamped)


def _parsed_inputs(stored: dict) -> dict:
    """The stored inputs (strings, enrollment.pricing.price) as numbers; {} if incomplete."""
    try:
        parsed = {key: Decimal(stored[key]) for key in _DECIMAL_INPUTS + _RATE_INPUTS}
        parsed.update({key: int(stored[key]) for key in ("window_days", "policies", "claims")})
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return {}
    return parsed
