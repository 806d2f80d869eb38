"""R1: money is Decimal CNY with 2 places, rounded half-up; rates have 4 decimal places."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")


def money(value) -> Decimal:
    """Any number (never a float) as CNY, half-up to 0.01 (R1)."""
    if isinstance(value, float):
        raise TypeError("money() refuses floats: pass a Decimal, int or str (R1)")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money_sum(value) -> Decimal:
    """An aggregate Sum() as exact CNY. SQLite sums decimals as floats; a sum of fen-exact
    amounts is within far less than half a fen of the truth, so quantizing restores it."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def rate(value) -> Decimal:
    """A premium rate as a fraction (0.0150 = 1.50%), half-up to 4 places."""
    if isinstance(value, float):
        raise TypeError("rate() refuses floats: pass a Decimal, int or str (R1)")
    return Decimal(value).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def percent(value: Decimal) -> str:
    """0.0150 -> '1.50%'."""
    return f"{(Decimal(value) * 100).quantize(CENT, rounding=ROUND_HALF_UP)}%"
