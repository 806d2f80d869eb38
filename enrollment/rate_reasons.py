"""A model rate's reason in the reader's language (R51, issue 11).

The risk model stores its explanation in English (`PremiumRate.reason`, for the record) and
the figures it used (`PremiumRate.inputs`); the admin shows the explanation rebuilt from the
figures, translated. An underwriter's override keeps the reason they typed.
"""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from enrollment.models import RateSource
from portal.money import percent


def _decimal(inputs: dict, key: str) -> Decimal | None:
    try:
        return Decimal(str(inputs[key]))
    except (KeyError, InvalidOperation):
        return None


def rate_reason(rate) -> str:
    """`rate`: a PremiumRate."""
    inputs = rate.inputs or {}
    if rate.source != RateSource.MODEL or "policies" not in inputs:
        return rate.reason
    parts = []
    days = inputs.get("window_days", 180)
    if not inputs["policies"]:
        parts.append(
            _("no policies in the last %(days)s days: industry base rate") % {"days": days}
        )
    else:
        parts.append(
            _(
                "%(policies)s policies, %(claims)s claims, loss ratio %(loss_ratio)s, claim "
                "frequency %(frequency)s, credibility %(credibility)s over %(days)s days"
            )
            % {
                "policies": inputs["policies"],
                "claims": inputs.get("claims", 0),
                "loss_ratio": percent(_decimal(inputs, "loss_ratio") or 0),
                "frequency": percent(_decimal(inputs, "frequency") or 0),
                "credibility": percent(_decimal(inputs, "credibility") or 0),
                "days": days,
            }
        )
    base, factor = _decimal(inputs, "base_rate"), _decimal(inputs, "factor")
    low, high = _decimal(inputs, "min_rate"), _decimal(inputs, "max_rate")
    raw = base * factor if base is not None and factor is not None else None
    if raw is not None and low is not None and raw < low:
        parts.append(_("raised to the insurer's lowest rate %(rate)s") % {"rate": percent(low)})
    elif raw is not None and high is not None and raw > high:
        parts.append(_("capped at the insurer's highest rate %(rate)s") % {"rate": percent(high)})
    if inputs.get("data_note"):
        parts.append(str(inputs["data_note"]))
    return _("Risk model: %(rate)s (%(why)s)") % {
        "rate": percent(rate.rate),
        "why": _("; ").join(parts),
    }
