"""R115: reconciliation of the payouts owed with where each one stands at the provider."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum

from claims.models import Payout, PayoutState, ShopDay
from enrollment.models import Shop
from portal.clock import start_of_day
from portal.money import money_sum

STATES = [PayoutState.PENDING, PayoutState.SUBMITTED, PayoutState.SETTLED, PayoutState.FAILED]
ZERO = Decimal("0.00")


@dataclass
class Line:
    """One shop's (or the total's) payouts owed in the period, by state."""

    shop: Shop | None
    owed: Decimal = ZERO  # the payouts the claims made owed: the rollups (R35, by paid_at)
    owed_count: int = 0
    by_state: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(STATES, ZERO))
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))

    @property
    def accounted(self) -> Decimal:
        return sum(self.by_state.values(), ZERO)

    @property
    def difference(self) -> Decimal:
        return self.owed - self.accounted

    @property
    def reconciled(self) -> bool:
        """pending + submitted + settled + failed = payouts owed, to the fen (R115)."""
        return self.difference == ZERO and self.owed_count == sum(self.counts.values())

    @property
    def states(self) -> list[tuple[str, int, Decimal]]:
        return [(s, self.counts[s], self.by_state[s]) for s in STATES]


def payout_reconciliation(
    *, first: dt.date, last: dt.date, shop_id: int | None = None
) -> tuple[list[Line], Line]:
    """Per shop and in total, for the Asia/Shanghai days first..last (inclusive): the payouts
    owed, counted by the per-shop per-day rollups written with each payout, against the
    payouts themselves by state. Each line reconciles when the two agree to the fen."""
    days = ShopDay.objects.filter(day__gte=first, day__lte=last, payouts__gt=0)
    payouts = Payout.objects.filter(
        paid_at__gte=start_of_day(first), paid_at__lt=start_of_day(last + dt.timedelta(days=1))
    )
    if shop_id is not None:
        days, payouts = days.filter(shop_id=shop_id), payouts.filter(shop_id=shop_id)
    lines: dict[int, Line] = {}
    owed = days.values("shop_id").annotate(n=Sum("payouts"), total=Sum("payouts_amount"))
    for row in owed.order_by():
        line = lines.setdefault(row["shop_id"], Line(None))
        line.owed, line.owed_count = money_sum(row["total"]), row["n"] or 0
    by_state = payouts.values("shop_id", "state").annotate(n=Count("id"), total=Sum("amount"))
    for row in by_state.order_by():
        line = lines.setdefault(row["shop_id"], Line(None))
        line.by_state[row["state"]] = money_sum(row["total"])
        line.counts[row["state"]] = row["n"]
    shops = Shop.objects.in_bulk(list(lines))
    for shop_id_, line in lines.items():
        line.shop = shops[shop_id_]
    ordered = sorted(lines.values(), key=lambda line: (line.shop.name, line.shop.pk))
    total = Line(None)
    for line in ordered:
        total.owed += line.owed
        total.owed_count += line.owed_count
        for state in STATES:
            total.by_state[state] += line.by_state[state]
            total.counts[state] += line.counts[state]
    return ordered, total
