"""The marketplace, simulated, talking to the portal through the real signed event API.

- `Marketplace` makes up orders, refund requests and the buyers' follow-ups (returns
  shipped, requests withdrawn) as platform events (R84), deterministically from a seed:
  the same seed gives the same ids, so a re-run is answered `duplicate` (R82).
- `Transport` signs (R81, R87) and sends: `HttpTransport` to a running portal with urllib,
  `InProcessTransport` through `django.test.Client` against the same URLs.
- `simulate()` sends the first wave (orders and refund requests, in time order), reads each
  refund back (`GET /api/v1/refunds/<id>`), sends the follow-ups that the claims' states
  allow, and returns a `Report`: what the API answered and what the portal holds.

Used by `manage.py simulate`, the demo seed and the ingest benchmark.
"""

import base64
import datetime as dt
import io
import json
import random
import sys
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from PIL import Image, ImageDraw

from platform_api.auth import signed_headers
from portal.clock import SHANGHAI

EVENTS_PATH = "/api/v1/events"
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


EVENT_TYPES = [
    "order.placed",
    "order.shipped",
    "order.received",
    "refund.requested",
    "refund.return_shipped",
    "refund.cancelled",
]


class SimulationError(RuntimeError):
    """The portal answered something the simulator cannot go on with."""


def iso(instant: dt.datetime) -> str:
    return instant.astimezone(SHANGHAI).isoformat()


def cents(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def event(entity_id: str, type_: str, at: dt.datetime, data: dict) -> dict:
    """One platform event (R80); its id is derived from the entity, so re-runs repeat it."""
    return {"id": f"{entity_id}/{type_}", "type": type_, "occurred_at": iso(at), "data": data}


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


def evidence_payload(images: list[tuple[str, bytes]]) -> list[dict]:
    return [
        {"filename": name, "content_base64": base64.b64encode(data).decode()}
        for name, data in images
    ]


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
        placed = {
            "order_id": self.order_id,
            "shop_id": self.shop_id,
            "buyer": {"id": self.buyer_id, "credit_tier": self.tier},
            "placed_at": iso(self.placed_at),
            "lines": self.lines,
        }
        out = [event(self.order_id, "order.placed", self.placed_at, placed)]
        if self.shipped_at:
            data = {"order_id": self.order_id, "shipped_at": iso(self.shipped_at)}
            out.append(event(self.order_id, "order.shipped", self.shipped_at, data))
        if self.received_at:
            data = {"order_id": self.order_id, "received_at": iso(self.received_at)}
            out.append(event(self.order_id, "order.received", self.received_at, data))
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
        data = {
            "refund_id": self.refund_id,
            "order_id": self.order.order_id,
            "line_id": self.line_id,
            "kind": self.kind,
            "reason": self.reason,
            "amount": f"{self.amount:.2f}",
            "description": self.description,
            "evidence": evidence_payload(self.evidence),
            "requested_at": iso(self.requested_at),
        }
        return event(self.refund_id, "refund.requested", self.requested_at, data)


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
            line_id = f"{order_id}-{n}"
            lines.append(
                {
                    "line_id": line_id,
                    "sku": sku,
                    "title": title,
                    "quantity": quantity,
                    "paid_amount": f"{paid:.2f}",
                }
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
        data = {
            "refund_id": refund.refund_id,
            "carrier": refund.carrier,
            "tracking_number": refund.tracking_number,
            "shipped_at": iso(at),
        }
        return event(refund.refund_id, "refund.return_shipped", at, data)

    def _cancelled(self, refund: SimRefund) -> dict:
        at = max(refund.requested_at, min(refund.requested_at + refund.cancels_after, self.now))
        data = {"refund_id": refund.refund_id, "cancelled_at": iso(at)}
        return event(refund.refund_id, "refund.cancelled", at, data)


# --- transports ---


class Transport:
    """Signs and sends; subclasses only move bytes."""

    label = ""

    def __init__(self, *, secret: str | None = None):
        self.secret = secret
        self.requests = 0

    def post_events(self, events: list[dict]) -> list[dict]:
        body = json.dumps({"events": events}, ensure_ascii=False).encode()
        headers = signed_headers(body, secret=self.secret)  # R81
        status, payload = self._send("POST", EVENTS_PATH, body, headers)
        if status != 200:
            raise SimulationError(f"POST {EVENTS_PATH} answered {status}: {payload}{_hint(status)}")
        return payload["results"]

    def get(self, path: str) -> dict | None:
        """A signed read-back (R87): the message is "<timestamp>.<path>"; None on 404."""
        status, payload = self._send(
            "GET", path, None, signed_headers(path.encode(), secret=self.secret)
        )
        if status == 404:
            return None
        if status != 200:
            raise SimulationError(f"GET {path} answered {status}: {payload}{_hint(status)}")
        return payload

    def _send(self, method, path, body, headers) -> tuple[int, dict | str]:
        raise NotImplementedError


def _hint(status: int) -> str:
    if status == 401:
        return " (does the signing secret match the portal's PLATFORM_WEBHOOK_SECRET?)"
    if status in (301, 302, 400):
        return " (is the host in ALLOWED_HOSTS? over https if SECURE_SSL_REDIRECT is on?)"
    return ""


def _decode(raw: bytes):
    try:
        return json.loads(raw)
    except ValueError:
        return raw[:300].decode(errors="replace")


class HttpTransport(Transport):
    def __init__(self, base_url: str, *, secret=None, timeout: float = 120):
        super().__init__(secret=secret)
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        self.label = f"HTTP {self.base_url}"

    def _send(self, method, path, body, headers):
        headers = {**headers, "Content-Type": "application/json"}
        request = urllib.request.Request(
            self.base_url + path, data=body, headers=headers, method=method
        )
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, _decode(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _decode(error.read())
        except urllib.error.URLError as error:
            raise SimulationError(
                f"cannot reach {self.base_url}: {error.reason} (start the portal, e.g. bin/demo, "
                "or use --in-process)"
            ) from None


class InProcessTransport(Transport):
    """The same URLs through Django's test client: works outside tests too."""

    label = "in-process"

    def __init__(self, *, secret=None):
        from django.test import Client

        super().__init__(secret=secret)
        # 127.0.0.1 is in the development ALLOWED_HOSTS (the default "testserver" is not).
        self.client = Client(raise_request_exception=True, SERVER_NAME="127.0.0.1")

    def _send(self, method, path, body, headers):
        self.requests += 1
        response = self.client.generic(
            method,
            path,
            body or b"",
            content_type="application/json",
            headers=headers,
            secure=True,  # as behind the TLS proxy: no SECURE_SSL_REDIRECT in production mode
        )
        return response.status_code, _decode(response.content)


# --- running it ---


class Progress:
    """`[#####-----] 120/300 orders` on one line of a stream (stderr); nothing if None."""

    def __init__(self, total: int, stream=None, label="orders", width=30):
        self.total, self.stream, self.label, self.width = total, stream, label, width

    def show(self, done: int) -> None:
        if self.stream is None:
            return
        filled = self.width * done // max(self.total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done}/{self.total} {self.label}")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.write("\n")
            self.stream.flush()


@dataclass
class Tally:
    """What the API answered, per event type and status (R83)."""

    statuses: Counter = field(default_factory=Counter)  # (type, status) -> n
    errors: Counter = field(default_factory=Counter)  # rejection message -> n
    requests: int = 0

    def record(self, events: list[dict], results: list[dict]) -> None:
        types = {e["id"]: e["type"] for e in events}
        for result in results:
            self.statuses[types.get(result["id"], "?"), result["status"]] += 1
            if result["status"] == "rejected":
                self.errors[result.get("error", "")] += 1

    def count(self, status: str | None = None, type_: str | None = None) -> int:
        return sum(
            n
            for (t, s), n in self.statuses.items()
            if (status is None or s == status) and (type_ is None or t == type_)
        )


@dataclass
class Holdings:
    """What the portal holds for this run's orders and refunds, and where that was read."""

    source: str
    orders: int = 0
    insured: int = 0
    policies: Counter = field(default_factory=Counter)  # R24 status -> n
    refunds: Counter = field(default_factory=Counter)  # (reason, covered) -> n
    not_covered: Counter = field(default_factory=Counter)  # R44 reason -> n
    claims: Counter = field(default_factory=Counter)  # R41 state -> n
    system_decided: int = 0  # R39 fast track


@dataclass
class Report:
    seed_prefix: str
    transport: str
    tally: Tally
    holdings: Holdings
    mails: int | None = None

    def lines(self) -> list[str]:
        return report_lines(self)


def send_all(transport: Transport, events: list[dict], *, batch: int, tally: Tally, on_batch=None):
    for start in range(0, len(events), batch):
        chunk = events[start : start + batch]
        tally.record(chunk, transport.post_events(chunk))
        tally.requests += 1
        if on_batch:
            on_batch(chunk)


def read_claims(transport: Transport, market: Marketplace) -> dict[str, dict]:
    """Each refund as the marketplace reads it back (R87); unknown ids are left out."""
    views = {}
    for refund in market.refunds:
        view = transport.get(f"/api/v1/refunds/{refund.refund_id}")
        if view is not None:
            views[refund.refund_id] = view
    return views


def simulate(transport: Transport, market: Marketplace, *, batch=200, progress=None, source="db"):
    """Play both waves through `transport`; `source` is where the summary is read: the
    database ("db", same process) or the API ("api")."""
    tally = Tally()
    bar = Progress(len(market.orders), progress)
    placed = 0

    def advance(chunk):
        nonlocal placed
        placed += sum(1 for e in chunk if e["type"] == "order.placed")
        bar.show(placed)

    bar.show(0)
    send_all(transport, market.first_wave(), batch=batch, tally=tally, on_batch=advance)
    bar.close()
    views = read_claims(transport, market)
    claims = {rid: view["claim"] for rid, view in views.items() if view["claim"]}
    follow_ups = market.second_wave(claims)
    send_all(transport, follow_ups, batch=batch, tally=tally)
    holdings = holdings_from_db(market) if source == "db" else holdings_from_api(transport, market)
    return Report(market.prefix, transport.label, tally, holdings)


def holdings_from_db(market: Marketplace) -> Holdings:
    from django.db import connection
    from django.db.models import Count

    from claims.models import Claim, Order, Policy, RefundRequest

    prefix = market.prefix + "-"
    name = connection.settings_dict["NAME"]
    out = Holdings(source=f"database ({connection.vendor} {name}), rows with ids {prefix}*")
    orders = Order.objects.filter(platform_order_id__startswith=prefix)
    out.orders = orders.count()
    out.insured = orders.filter(insured=True).count()
    out.policies = Counter(p.status() for p in Policy.objects.filter(order__in=orders))
    refunds = RefundRequest.objects.filter(platform_refund_id__startswith=prefix)
    for row in refunds.values("reason", "covered", "not_covered_reason").annotate(n=Count("id")):
        out.refunds[row["reason"], row["covered"]] += row["n"]
        if not row["covered"]:
            out.not_covered[row["not_covered_reason"]] += row["n"]
    claims = Claim.objects.filter(refund__in=refunds)
    out.claims = Counter(dict(claims.values_list("state").annotate(n=Count("id"))))
    out.system_decided = claims.filter(decided_by_system=True).count()
    return out


def holdings_from_api(transport: Transport, market: Marketplace) -> Holdings:
    out = Holdings(source=f"API read-back ({transport.label}), this run's ids")
    for order in market.orders:
        view = transport.get(f"/api/v1/orders/{order.order_id}")
        if view is None:
            continue
        out.orders += 1
        out.insured += view["insured"]
        if view["policy"]:
            out.policies[view["policy"]["status"]] += 1
    views = read_claims(transport, market)
    reasons = {r.refund_id: r.reason for r in market.refunds}
    for refund_id, view in views.items():
        out.refunds[reasons[refund_id], view["covered"]] += 1
        if not view["covered"]:
            out.not_covered[view["not_covered_reason"]] += 1
        if view["claim"]:
            out.claims[view["claim"]["state"]] += 1
            out.system_decided += view["claim"]["decided_by"] == "system"
    return out


def _counts(counter: Counter) -> str:
    return ", ".join(f"{key} {n}" for key, n in sorted(counter.items())) or "none"


def report_lines(report: Report) -> list[str]:
    tally, held = report.tally, report.holdings
    types = [t for t in EVENT_TYPES if any(t == seen for seen, _s in tally.statuses)]
    out = [
        f"Simulation {report.seed_prefix} over {report.transport}: "
        f"{tally.count()} events in {tally.requests} requests",
        f"  {'event type':<24}{'applied':>9}{'duplicate':>11}{'rejected':>10}",
    ]
    for type_ in [*types, None]:
        name = type_ or "total"
        counts = [tally.count(s, type_) for s in ("applied", "duplicate", "rejected")]
        out.append(f"  {name:<24}{counts[0]:>9}{counts[1]:>11}{counts[2]:>10}")
    for error, n in tally.errors.most_common(5):
        out.append(f"  rejected x{n}: {error}")
    claims_total = sum(n for (_r, covered), n in held.refunds.items() if covered)
    out += [
        f"Holdings, read from the {held.source}:",
        f"  orders {held.orders} (insured {held.insured}); policies issued "
        f"{sum(held.policies.values())}: {_counts(held.policies)}",
        f"  refund requests {sum(held.refunds.values())}: warranty-card claims {claims_total}, "
        f"merchant-handled {sum(held.not_covered.values())}",
    ]
    for reason in REASONS:
        covered, merchant = held.refunds[reason, True], held.refunds[reason, False]
        tag = "covered reason" if reason in COVERED_REASONS else "not covered"
        out.append(f"    {reason:<20} claims {covered:>4}  merchant-handled {merchant:>4}  ({tag})")
    out.append(f"  merchant-handled because: {_counts(held.not_covered)}")
    out.append(f"  claims by state: {_counts(held.claims)}")
    out.append(f"  decided by the system (R39 fast track): {held.system_decided}")
    if report.mails is not None:
        out.append(f"  merchant e-mails captured (not sent): {report.mails}")
    return out


def play(transport, market, *, batch=200, progress=sys.stderr, source="db") -> Report:
    """`simulate` with the portal's e-mails captured when in-process (no console spam)."""
    if not isinstance(transport, InProcessTransport):
        return simulate(transport, market, batch=batch, progress=progress, source=source)
    from django.core import mail
    from django.test.utils import override_settings

    locmem = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    with override_settings(MAILERS=locmem):
        before = len(getattr(mail, "outbox", []))
        report = simulate(transport, market, batch=batch, progress=progress, source=source)
        report.mails = len(getattr(mail, "outbox", [])) - before
    return report
