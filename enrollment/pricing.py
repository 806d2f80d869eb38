"""R51: the risk-pricing model. Deterministic, documented, pure (no database access).

The seed: "the rate is computed from the shop's own history and the industry's; the better a
shop runs, the lower its rate" (动态差异化风险定价, 店铺运营的越好, 费率越低).

Inputs, over a trailing window of WINDOW_DAYS days ending at the pricing instant (read by
`enrollment.selectors.shop_experience` from the claims app's per-shop, per-day rollups, the
partial days at the window's ends from the raw rows: the same sums at any shop size):
  P  premiums charged on the shop's policies issued in the window (CNY)
  L  claim payouts made to the shop in the window (CNY)
  n  policies issued in the window
  c  claims opened in the window

Formula:
  loss ratio           LR = L / P                        (0 when P = 0)
  claim frequency      F  = c / n                        (0 when n = 0)
  experience factor    E  = 0.7 * LR / TARGET_LOSS_RATIO + 0.3 * F / EXPECTED_FREQUENCY
  credibility          Z  = min(1, n / FULL_CREDIBILITY_POLICIES)
  factor               M  = 1 + Z * (E - 1)
  rate                 = clamp(base_rate * M, min_rate, max_rate), half-up to 4 places

A shop that loses exactly as expected (LR = 60%, F = 3%) pays the base rate; one that loses
less pays less; a shop with little history is priced near the base rate (credibility), so one
unlucky claim on a small shop cannot push it to the maximum. All arithmetic is Decimal.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from portal.money import percent, rate

WINDOW_DAYS = 180
TARGET_LOSS_RATIO = Decimal("0.60")
EXPECTED_FREQUENCY = Decimal("0.03")
LOSS_WEIGHT = Decimal("0.7")
FREQUENCY_WEIGHT = Decimal("0.3")
FULL_CREDIBILITY_POLICIES = 1000


@dataclass(frozen=True)
class Experience:
    """A shop's own history over the pricing window."""

    premiums: Decimal = Decimal("0.00")
    payouts: Decimal = Decimal("0.00")
    policies: int = 0
    claims: int = 0
    # Said out loud when part of the history cannot be known yet (e.g. before claims exist).
    data_note: str = ""


@dataclass(frozen=True)
class Bounds:
    base_rate: Decimal
    min_rate: Decimal
    max_rate: Decimal


@dataclass(frozen=True)
class Quote:
    rate: Decimal
    loss_ratio: Decimal
    frequency: Decimal
    credibility: Decimal
    factor: Decimal
    clamped: bool
    explanation: str
    inputs: dict = field(default_factory=dict)


def price(experience: Experience, bounds: Bounds) -> Quote:
    """The rate R51 gives a shop with this experience under these insurer bounds."""
    e = experience
    loss_ratio = (e.payouts / e.premiums) if e.premiums > 0 else Decimal(0)
    frequency = (Decimal(e.claims) / Decimal(e.policies)) if e.policies > 0 else Decimal(0)
    experience_factor = (
        LOSS_WEIGHT * loss_ratio / TARGET_LOSS_RATIO
        + FREQUENCY_WEIGHT * frequency / EXPECTED_FREQUENCY
    )
    credibility = min(Decimal(1), Decimal(e.policies) / Decimal(FULL_CREDIBILITY_POLICIES))
    factor = 1 + credibility * (experience_factor - 1)
    raw = bounds.base_rate * factor
    clamped_rate = min(max(raw, bounds.min_rate), bounds.max_rate)
    final = rate(clamped_rate)
    explanation = _explain(e, bounds, loss_ratio, frequency, credibility, final, raw)
    return Quote(
        rate=final,
        loss_ratio=rate(loss_ratio),
        frequency=rate(frequency),
        credibility=rate(credibility),
        factor=rate(factor),
        clamped=clamped_rate != raw,
        explanation=explanation,
        inputs={
            "window_days": WINDOW_DAYS,
            "premiums": str(e.premiums),
            "payouts": str(e.payouts),
            "policies": e.policies,
            "claims": e.claims,
            "base_rate": str(bounds.base_rate),
            "min_rate": str(bounds.min_rate),
            "max_rate": str(bounds.max_rate),
            "loss_ratio": str(rate(loss_ratio)),
            "frequency": str(rate(frequency)),
            "credibility": str(rate(credibility)),
            "factor": str(rate(factor)),
            "data_note": e.data_note,
        },
    )


def _explain(e, bounds, loss_ratio, frequency, credibility, final, raw) -> str:
    parts = []
    if e.policies == 0:
        parts.append(f"no policies in the last {WINDOW_DAYS} days: industry base rate")
    else:
        parts.append(
            f"{e.policies} policies, {e.claims} claims, loss ratio {percent(loss_ratio)}, "
            f"claim frequency {percent(frequency)}, credibility {percent(credibility)} "
            f"over {WINDOW_DAYS} days"
        )
    if raw < bounds.min_rate:
        parts.append(f"raised to the insurer's lowest rate {percent(bounds.min_rate)}")
    elif raw > bounds.max_rate:
        parts.append(f"capped at the insurer's highest rate {percent(bounds.max_rate)}")
    if e.data_note:
        parts.append(e.data_note)
    return f"Risk model: {percent(final)} ({'; '.join(parts)})"
