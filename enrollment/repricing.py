"""R51: the risk model's repricing of a shop, on approval (R12) and every day (the periodic
job, `enrollment.tasks.reprice_shops_task`), each under the shop's row lock, as the
underwriter's override (`enrollment.services.rate_override`, R52) is written.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from enrollment import pricing, selectors
from enrollment.models import PremiumRate, RateSource, Shop
from portal.money import percent


def shop_reprice(
    *, shop: Shop, at: dt.datetime | None = None, actor=None, first: bool = False
) -> tuple[PremiumRate | None, str]:
    """R51: price the shop with the risk model and record the rate if it changed.

    A manual override in force is left alone (the underwriter decided); `first` prices a
    newly approved enrollment whatever came before (R12). Returns (new rate or None, why).
    """
    at = at or timezone.now()
    current = selectors.rate_in_force(shop_id=shop.pk, at=at)
    if not first and current is not None and current.source == RateSource.MANUAL:
        return None, f"kept the underwriter's override {percent(current.rate)}"
    quote = pricing.price(
        selectors.shop_experience(
            shop=shop, window_start=at - dt.timedelta(days=pricing.WINDOW_DAYS), window_end=at
        ),
        selectors.pricing_bounds(industry=shop.industry),
    )
    if not first and current is not None and current.rate == quote.rate:
        return None, f"unchanged at {percent(quote.rate)}"
    new = PremiumRate.objects.create(
        shop=shop,
        rate=quote.rate,
        effective_from=at,
        source=RateSource.MODEL,
        reason=quote.explanation,
        inputs=quote.inputs,
        created_by=actor,
    )
    return new, quote.explanation


def shops_reprice(*, at: dt.datetime | None = None) -> list[tuple[Shop, PremiumRate | None, str]]:
    """R51: the periodic job: reprice every shop whose service is in force."""
    at = at or timezone.now()
    results = []
    for shop in selectors.shops_in_force():
        with transaction.atomic():
            Shop.objects.select_for_update().get(pk=shop.pk)
            new, why = shop_reprice(shop=shop, at=at)
        results.append((shop, new, why))
    return results
