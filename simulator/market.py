"""The market model: buyers ordering from shops, asking for refunds and following up.

`Marketplace` makes up orders, refund requests and the buyers' follow-ups (returns shipped,
requests withdrawn) as platform events (R84, built by `platform_api.events`),
deterministically from a seed: the same seed gives the same ids, so a re-run is answered
`duplicate` (R82).
"""

import datetime as dt
import io
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from PIL import Image, ImageDraw

from platform_api import events as build

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
COVERAGE = dt.timedelta(hours=720)  # R23
RETURN_DAYS = 7  # R33's default; used only to guess when a return claim was approved

# (sku, title, lowest price, highest price)
CATALOG = [
    ("SKU-KETTLE-17", "电热水壶 1.7L 304不锈钢", 59, 199),
    ("SKU-RICE-4L", "智能电饭煲 4L", 199, 699),
    ("SKU-AIRFRY-5", "空气炸锅 5L 可视窗", 249, 599),
    ("SKU-HAIRDRY", "高速吹风机 负离子", 129, 899),
    ("SKU-HEATER-22", "暖风机 2200W 家用", 159, 459),
    ("SKU-PURIFIER", "空气净化器 除甲醛", 699, 2499),
    ("SKU-BLENDER", "破壁料理机 1.75L", 299, 1299),
    ("SKU-IRON-ST", "手持挂烫机", 99, 329),
    ("SKU-FAN-DC", "直流变频落地扇", 199, 599),
    ("SKU-VACUUM", "无线手持吸尘器", 599, 1999),
    ("SKU-SOYMILK", "豆浆机 免滤", 169, 499),
    ("SKU-HUMID", "加湿器 4L 上加水", 89, 299),
]
COVERED_REASONS = {"quality_issue": 35, "not_as_described": 15, "damaged_or_stained": 15}
OTHER_REASONS = {"no_longer_needed": 15, "wrong_size": 10, "other": 10}
REASONS = {**COVERED_REASONS, **OTHER_REASONS}
DESCRIPTIONS = {
    "quality_issue": ["用了两天就不加热了", "开机异响，底部有焦味", "按键失灵，无法启动"],
    "not_as_described": ["容量和详情页写的不一样", "颜色与图片不符", "功率没有宣传的大"],
    "damaged_or_stained": ["外壳有裂纹", "收到时包装破损，机身有划痕", "内胆有污渍"],
    "no_longer_needed": ["买重复了", "家里已经有了"],
    "wrong_size": ["型号买错了", "尺寸太大放不下"],
    "other": ["不想要了", "其他原因"],
}
CARRIERS = ["顺丰速运", "中通快递", "圆通速递", "京东物流", "韵达快递"]
# A claim in one of these states got its return tracking number at some point (R41).
RETURNED_STATES = {
    "awaiting_return",
    "return_shipped",
    "received",
    "receipt_refused",
    "closed_refused",
    "refunded",
    "paid",
}


def cents(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def image_evidence(rng: random.Random, name: str) -> tuple[str, bytes]:
    """A small buyer photo: a crack across a light surface (PNG) or colored noise (JPEG)."""
    buffer = io.BytesIO()
    if rng.random() < 0.5:
        shade = tuple(rng.randrange(180, 250) for _ in range(3))
        image = Image.new("RGB", (64, 48), shade)
        points = [(0, rng.randrange(48))]
        for x in range(8, 72, 8):
            points.append((x, max(0, min(47, points[-1][1] + rng.randrange(-9, 10)))))
        ImageDraw.Draw(image).line(points, fill=(40, 30, 30), width=2)
        image.save(buffer, format="PNG")
        return f"{name}.png", buffer.getvalue()
    image = Image.frombytes("RGB", (24, 24), rng.randbytes(24 * 24 * 3))
    image.save(buffer, format="JPEG", quality=70)
    return f"{name}.jpg", buffer.getvalue()


@dataclass
class SimOrder:
    order_id: str
    shop_id: str
    buyer_id: str
    tier: int
    placed_at: dt.datetime
    lines: list[dict]
    shipped_at: dt.datetime | None = None
    received_at: dt.datetime | None = None

    def events(self) -> list[dict]:
        out = [
            build.order_placed(
                self.order_id,
                shop_id=self.shop_id,
                buyer_id=self.buyer_id,
                credit_tier=self.tier,
                placed_at=self.placed_at,
                lines=self.lines,
            )
        ]
        if self.shipped_at:
            out.append(build.order_shipped(self.order_id, shipped_at=self.shipped_at))
        if self.received_at:
            out.append(build.order_received(self.order_id, received_at=self.received_at))
        return out


@dataclass
class SimRefund:
    refund_id: str
    order: SimOrder
    line_id: str
    kind: str
    reason: str
    amount: Decimal
    requested_at: dt.datetime
    timing: str  # normal | early (before receipt) | late (after 720 h)
    evidence: list[tuple[str, bytes]]
    description: str
    cancels_after: dt.timedelta | None  # the buyer withdraws if the claim is still in review
    ships_after: dt.timedelta | None  # the buyer ships the return this long after approval
    carrier: str = ""
    tracking_number: str = ""

    def requested_event(self) -> dict:
        return build.refund_requested(
            self.refund_id,
            order_id=self.order.order_id,
            line_id=self.line_id,
            kind=self.kind,
            reason=self.reason,
            amount=self.amount,
            requested_at=self.requested_at,
            description=self.description,
            images=self.evidence,
        )


class Marketplace:
    """Buyers ordering from `shops` (platform id -> weight) over the `days` before `now`."""

    def __init__(
        self,
        *,
        shops: dict,
        orders: int,
        days: float,
        seed: int,
        now,
        prefix=None,
        refund_rate=0.22,
    ):
        self.rng = random.Random(seed)
        self.now, self.days = now, days
        self.prefix = prefix or f"SIM{seed}"
        self.shop_ids, self.shop_weights = list(shops), list(shops.values())
        self.refund_rate = refund_rate
        self.frequent_buyers = max(3, orders // 60)  # buyers who ask for refunds a lot
        self.tiers: dict[str, int] = {}
        self.orders = self._orders(orders)
        self.refunds = [r for r in (self._refund(o) for o in self.orders) if r]

    # --- orders ---

    def _orders(self, count: int) -> list[SimOrder]:
        span = self.days * 86400
        ages = sorted((self.rng.uniform(600, span) for _ in range(count)), reverse=True)
        return [self._order(n, self.now - dt.timedelta(seconds=age)) for n, age in enumerate(ages)]

    def _order(self, n: int, placed_at: dt.datetime) -> SimOrder:
        order_id = f"{self.prefix}-O{n + 1:05d}"
        buyer_id = self._buyer()
        order = SimOrder(
            order_id=order_id,
            shop_id=self.rng.choices(self.shop_ids, self.shop_weights)[0],
            buyer_id=buyer_id,
            tier=self.tiers[buyer_id],
            placed_at=placed_at,
            lines=self._lines(order_id),
        )
        shipped = placed_at + self.rng.uniform(2, 36) * HOUR
        received = shipped + self.rng.uniform(20, 120) * HOUR
        order.shipped_at = shipped if shipped <= self.now else None
        order.received_at = received if order.shipped_at and received <= self.now else None
        return order

    def _buyer(self) -> str:
        if self.rng.random() < 0.12:
            buyer_id = f"{self.prefix}-F{self.rng.randrange(self.frequent_buyers):03d}"
        else:
            buyer_id = f"{self.prefix}-B{self.rng.randrange(len(self.tiers) + 50):05d}"
        if buyer_id not in self.tiers:
            self.tiers[buyer_id] = self.rng.choices([1, 2, 3, 4, 5], [5, 15, 35, 30, 15])[0]
        return buyer_id

    def _lines(self, order_id: str) -> list[dict]:
        count = self.rng.choices([1, 2, 3], [75, 20, 5])[0]
        lines = []
        for n, (sku, title, low, high) in enumerate(self.rng.sample(CATALOG, count), start=1):
            quantity = self.rng.choices([1, 2], [90, 10])[0]
            price = self.rng.randrange(low, high + 1) * quantity
            paid = cents(Decimal(price) * Decimal(self.rng.randrange(85, 101)) / 100)
            lines.append(
                build.order_line(
                    f"{order_id}-{n}", sku=sku, title=title, quantity=quantity, paid_amount=paid
                )
            )
        return lines

    # --- refund requests ---

    def _refund(self, order: SimOrder) -> SimRefund | None:
        frequent = order.buyer_id.startswith(f"{self.prefix}-F")
        rate = 0.55 if frequent else self.refund_rate
        if self.rng.random() >= rate or order.shipped_at is None:
            return None
        timing = self.rng.choices(["normal", "early", "late"], [85, 8, 7])[0]
        requested_at, timing = self._request_time(order, timing)
        if requested_at is None:
            return None
        line = self.rng.choice(order.lines)
        reason = self.rng.choices(list(REASONS), list(REASONS.values()))[0]
        paid = Decimal(line["paid_amount"])
        amount = paid if self.rng.random() < 0.7 else cents(paid * self.rng.randrange(20, 91) / 100)
        refund_id = f"{self.prefix}-R{order.order_id.rsplit('-O', 1)[1]}"
        return SimRefund(
            refund_id=refund_id,
            order=order,
            line_id=line["line_id"],
            kind=self.rng.choices(["refund_only", "return_and_refund"], [45, 55])[0],
            reason=reason,
            amount=max(amount, Decimal("0.01")),
            requested_at=requested_at,
            timing=timing,
            evidence=[
                image_evidence(self.rng, f"{refund_id}-{n}")
                for n in range(1, self.rng.randint(1, 3) + 1)
            ],
            description=self.rng.choice(DESCRIPTIONS[reason]),
            cancels_after=self.rng.uniform(1, 20) * HOUR if self.rng.random() < 0.12 else None,
            ships_after=self.rng.uniform(6, 60) * HOUR if self.rng.random() < 0.75 else None,
            carrier=self.rng.choice(CARRIERS),
            tracking_number=f"SIM{self.rng.randrange(10**11, 10**12)}",
        )

    def _request_time(self, order: SimOrder, timing: str):
        """When the buyer asks: `timing` if the order's history allows it, else what does."""
        received = order.received_at
        if timing == "late" and received and received + COVERAGE + HOUR < self.now:
            room = min(10 * DAY, self.now - received - COVERAGE - HOUR)
            return received + COVERAGE + HOUR + self.rng.random() * room, "late"
        if timing == "early" or received is None:  # asked before confirming receipt
            end = received or self.now
            return order.shipped_at + self.rng.random() * (end - order.shipped_at), "early"
        at = received + min(self.rng.expovariate(1 / 96), 719) * HOUR
        if at > self.now:  # received lately: some time between receipt and now
            at = received + self.rng.random() * (self.now - received)
        return at, "normal"

    # --- waves ---

    def first_wave(self) -> list[dict]:
        """Every order event and refund request, in the order things happened."""
        events = [e for order in self.orders for e in order.events()]
        events += [refund.requested_event() for refund in self.refunds]
        return sorted(events, key=lambda e: dt.datetime.fromisoformat(e["occurred_at"]))

    def second_wave(self, claims: dict) -> list[dict]:
        """The buyers' follow-ups, given each refund's claim as read back (R87)."""
        out = []
        for refund in self.refunds:
            claim = claims.get(refund.refund_id)
            if claim is None:
                continue
            if refund.ships_after and refund.kind == "return_and_refund":
                if claim["state"] in RETURNED_STATES and claim["return_due_at"]:
                    out.append(self._return_shipped(refund, claim))
            elif refund.cancels_after and claim["state"] in ("submitted", "cancelled"):
                out.append(self._cancelled(refund))
        return out

    def _return_shipped(self, refund: SimRefund, claim: dict) -> dict:
        due = dt.datetime.fromisoformat(claim["return_due_at"])
        approved = max(refund.requested_at, due - RETURN_DAYS * DAY)
        at = max(approved, min(approved + refund.ships_after, due, self.now))
        return build.return_shipped(
            refund.refund_id,
            carrier=refund.carrier,
            tracking_number=refund.tracking_number,
            shipped_at=at,
        )

    def _cancelled(self, refund: SimRefund) -> dict:
        at = max(refund.requested_at, min(refund.requested_at + refund.cancels_after, self.now))
        return build.refund_cancelled(refund.refund_id, cancelled_at=at)
