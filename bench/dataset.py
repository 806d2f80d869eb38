"""A marketplace-scale dataset on PostgreSQL for the page benchmarks (issue 6).

Drops and creates a database (default `warranty_scale`), migrates it, then bulk-loads with
PostgreSQL COPY (psycopg `cursor.copy()`), never one ORM save per row:

- 200 shops (shop 1, "TM-SCALE-0001", holds 40% of everything), each enrolled 13 months
  ago by invitation, with a monthly premium-rate history and one merchant login;
- 300,000 buyers, 1,000,000 orders with ~1.3 sub-orders each, one policy per order;
- 150,000 refund requests: 100,000 warranty-card claims over every R41 state, with the
  payouts, buyer compensations and breaches the paid ones imply, and django-fsm-log
  StateLog rows for every claim transition; 50,000 merchant-handled requests;
- 5,000 buyer feedback reports; monthly invoice requests with their invoice lines;
- staff: `bench-reviewer` (claim reviewer), `bench-finance`, `bench-underwriter`.

Deterministic for a given --seed and --now (times are offsets from `now`, by default the
current minute, so that open claims have deadlines in the future and nothing is due for the
deadline sweep right after the build). Prints the time per table and the total.

    .venv/bin/python bench/dataset.py [--database-url postgres://postgres@127.0.0.1:5432/warranty_scale]

Logins (password `bench-scale-2026`): shop001@scale.example (the big shop), shopNNN@...,
bench-reviewer, bench-finance, bench-underwriter. See bench/README.md.
"""

# ruff: noqa: E501 - rows of generated values are kept one per line

import argparse
import bisect
import datetime as dt
import os
import random
import sys
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/warranty_scale"
PASSWORD = "bench-scale-2026"
BIG_SHOP_ID = 1
BIG_SHOP_PLATFORM_ID = "TM-SCALE-0001"
SHANGHAI = ZoneInfo("Asia/Shanghai")
H, D = 3600, 86400

N_SHOPS = 200
N_BUYERS = 300_000
N_ORDERS = 1_000_000  # one policy each
N_FEEDBACK = 5_000
# 100,000 claims over every R41 state (open ones recent, so no deadline is due at build time)
CLAIM_STATES = {
    "submitted": 4_000,
    "approved": 500,
    "awaiting_return": 5_000,
    "return_shipped": 4_000,
    "received": 300,
    "receipt_refused": 700,
    "refunded": 500,
    "paid": 55_000,
    "rejected": 15_000,
    "cancelled": 8_000,
    "closed_timeout": 5_000,
    "closed_refused": 2_000,
}
OPEN_STATES = {
    "submitted",
    "approved",
    "awaiting_return",
    "return_shipped",
    "received",
    "receipt_refused",
    "refunded",
}
# 50,000 merchant-handled requests (R30/R44)
NOT_COVERED = {
    "reason_not_covered": 35_000,
    "outside_window": 8_000,
    "before_receipt": 5_000,
    "buyer_ineligible": 2_000,
}
PRICES = [4900, 9900, 19900, 29900, 59900, 129900, 299900]  # cents
TITLES = ["电热水壶", "空气炸锅", "电饭煲", "吸尘器", "吹风机", "微波炉", "电风扇", "榨汁机"]
COVERED = ["quality_issue", "not_as_described", "damaged_or_stained"]
NOT_COVERED_REASONS = ["no_longer_needed", "wrong_size", "other"]
CARRIERS = ["顺丰", "中通", "圆通", "韵达"]
GROUNDS = ["missing_items", "empty_parcel", "wrong_item", "fake_logistics"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--now", help="ISO time the data is built around (default: the current minute, UTC)"
    )
    parser.add_argument("--orders", type=int, default=N_ORDERS, help="policies (one per order)")
    return parser.parse_args()


# --- text formatting for COPY (TEXT format; our values never hold tabs or backslashes) ---


def ts(epoch: float | None) -> str:
    if epoch is None:
        return r"\N"
    return time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(int(epoch)))


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def val(v) -> str:
    if v is None:
        return r"\N"
    if v is True:
        return "t"
    if v is False:
        return "f"
    return str(v)


class Loader:
    """COPY rows into tables, timing each table."""

    def __init__(self, conn):
        self.conn = conn
        self.times: list[tuple[str, int, float]] = []

    def copy(self, table: str, columns: list[str], rows, started: float | None = None) -> int:
        start = started if started is not None else time.perf_counter()
        count = 0
        buffer: list[str] = []
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self.conn.cursor() as cur, cur.copy(sql) as copy:
            for row in rows:
                buffer.append("\t".join(row))
                count += 1
                if len(buffer) >= 20_000:
                    copy.write("\n".join(buffer) + "\n")
                    buffer.clear()
            if buffer:
                copy.write("\n".join(buffer) + "\n")
        seconds = time.perf_counter() - start
        self.times.append((table, count, seconds))
        print(f"  {table:<32} {count:>10,} rows {seconds:7.1f} s", flush=True)
        return count


# --- database ---


def recreate_database(database_url: str) -> None:
    import psycopg

    url = urllib.parse.urlsplit(database_url)
    name = url.path.lstrip("/")
    maintenance = urllib.parse.urlunsplit(("postgresql", url.netloc, "/postgres", "", ""))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def migrate(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- the build ---


class Build:
    def __init__(self, seed: int, now: float, n_orders: int):
        self.rng = random.Random(seed)
        self.now = now
        self.n_orders = n_orders
        self.start = now - 365 * D  # first order
        self.enrolled_at = self.start - 30 * D

    # shops, users, enrollment, rates

    def shop_weights(self) -> list[float]:
        others = [1 / (k**0.8) for k in range(1, N_SHOPS)]
        scale = 0.6 / sum(others)
        return [0.4] + [w * scale for w in others]

    def users(self, hasher_password: str):
        """Merchant user n = shop n (ids 1..200); staff 201..203."""
        joined = ts(self.enrolled_at - 5 * D)
        for n in range(1, N_SHOPS + 1):
            email = f"shop{n:03d}@scale.example"
            yield [
                str(n), hasher_password, r"\N", "f", email, "", "", email, "f", "t", joined
            ]  # fmt: skip
        for i, name in enumerate(["bench-reviewer", "bench-finance", "bench-underwriter"]):
            yield [
                str(N_SHOPS + 1 + i), hasher_password, r"\N", "f", name, "", "",
                f"{name}@insurer.example", "t", "t", joined,
            ]  # fmt: skip

    def shops(self):
        created = ts(self.enrolled_at - 10 * D)
        for n in range(1, N_SHOPS + 1):
            name = "大卖场电器旗舰店" if n == 1 else f"电器店{n:03d}"
            yield [str(n), f"TM-SCALE-{n:04d}", name, "home_appliances", created]

    def shop_rates(self) -> list[list[int]]:
        """Rate in basis points (1e-4) per shop per 30-day step since enrollment."""
        rates = []
        for _n in range(N_SHOPS):
            base = self.rng.randint(90, 220)
            rates.append([max(50, base + self.rng.randint(-20, 20)) for _m in range(14)])
        self.rates = rates
        return rates

    def rate_at(self, shop: int, epoch: float) -> int:
        step = min(13, max(0, int((epoch - self.enrolled_at) // (30 * D))))
        return self.rates[shop - 1][step]

    def premium_rates(self):
        pk = 0
        for shop in range(1, N_SHOPS + 1):
            for step in range(14):
                pk += 1
                at = self.enrolled_at + step * 30 * D
                if at > self.now:
                    break
                reason = "initial rate on approval" if step == 0 else "monthly model reprice"
                yield [
                    str(pk), f"0.{self.rates[shop - 1][step]:04d}", ts(at), "model", reason,
                    "{}", ts(at), r"\N", str(shop),
                ]  # fmt: skip

    def invitations(self):
        for n in range(1, N_SHOPS + 1):
            at = self.enrolled_at - 7 * D
            yield [
                str(n), f"shop{n:03d}@scale.example", ts(at + 30 * D), ts(at), "issued", r"\N",
                "", str(N_SHOPS + 3), str(n),
            ]  # fmt: skip

    def enrollments(self):
        for n in range(1, N_SHOPS + 1):
            at = self.enrolled_at
            yield [
                str(n), "active", f"1380013{n:04d}", "王经理", "0571-88888888",
                f"杭州市余杭区文一西路 {n} 号", ts(at - D), ts(at - D), ts(at), "", ts(at),
                r"\N", "", r"\N", str(n), str(N_SHOPS + 3), str(n), str(n), f"店铺{n}",
            ]  # fmt: skip

    # orders, lines, policies

    def orders(self):
        """Generates orders and keeps what later tables need (per order, index = id - 1)."""
        rng = self.rng
        n = self.n_orders
        cum = []
        total = 0.0
        for w in self.shop_weights():
            total += w
            cum.append(total)
        span = (self.now - 31 * H) - self.start
        self.o_shop = [0] * n
        self.o_buyer = [0] * n
        self.o_paid = [0] * n
        self.o_shipped = [0.0] * n
        self.o_received: list[float | None] = [None] * n
        self.o_first_line = [0] * n
        self.o_first_line_paid = [0] * n
        self.o_rate = [0] * n
        self.lines: list[list[str]] = []
        line_pk = 0
        for i in range(n):
            pk = i + 1
            shop = bisect.bisect_left(cum, rng.random() * total) + 1
            buyer = rng.randint(1, N_BUYERS)
            placed = self.start + span * i / n + rng.random() * 600
            shipped = placed + rng.uniform(2 * H, 30 * H)
            received = shipped + rng.uniform(1 * D, 5 * D)
            r = rng.random()
            count = 1 if r < 0.75 else 2 if r < 0.95 else 3
            paid = 0
            for k in range(count):
                line_pk += 1
                quantity = 1 if rng.random() < 0.9 else 2
                line_paid = rng.choice(PRICES) * quantity
                paid += line_paid
                if k == 0:
                    self.o_first_line[i] = line_pk
                    self.o_first_line_paid[i] = line_paid
                self.lines.append(
                    [
                        str(line_pk), f"{pk}-{k + 1}", f"SKU-{rng.randint(1, 5000):05d}",
                        rng.choice(TITLES), str(quantity), money(line_paid), str(pk),
                    ]
                )  # fmt: skip
            rate = self.rate_at(shop, placed)
            self.o_shop[i], self.o_buyer[i], self.o_paid[i] = shop, buyer, paid
            self.o_shipped[i], self.o_rate[i] = shipped, rate
            self.o_received[i] = received if received < self.now else None
            yield [
                str(pk), f"T{pk:010d}", money(paid), ts(placed), "t", f"0.{rate:04d}",
                ts(shipped), ts(self.o_received[i]), str(buyer), str(shop),
            ]  # fmt: skip

    def order_lines(self):
        lines, self.lines = self.lines, []
        yield from lines

    def premium(self, i: int) -> int:
        return (self.o_paid[i] * self.o_rate[i] + 5000) // 10000

    def policies(self, claim_status: dict[int, str]):
        for i in range(self.n_orders):
            pk = i + 1
            received = self.o_received[i]
            yield [
                str(pk), f"WP{pk:012d}", money(self.premium(i)), f"0.{self.o_rate[i]:04d}",
                ts(self.o_shipped[i]), ts(received),
                ts(received + 720 * H if received else None),
                claim_status.get(pk, "none"), str(pk), str(self.o_shop[i]),
            ]  # fmt: skip

    def buyers(self, ineligible: dict[int, float]):
        rng = self.rng
        for pk in range(1, N_BUYERS + 1):
            tier = rng.choices([1, 2, 3, 4, 5], [5, 10, 40, 30, 15])[0]
            if pk in ineligible:
                yield [
                    str(pk), f"B{pk:08d}", str(tier), "revoked", ts(ineligible[pk]),
                    "repeated profiteering (bench data)", "credit rating lowered", str(N_SHOPS + 1),
                ]  # fmt: skip
            else:
                yield [str(pk), f"B{pk:08d}", str(tier), "eligible", r"\N", "", "", r"\N"]

    # refunds and claims

    def plan_refunds(self):
        """Pick the orders refunds are requested on and their timelines; decide claims."""
        rng = self.rng
        now = self.now
        recent, old, awaiting = [], [], []
        for i in range(self.n_orders):
            received = self.o_received[i]
            if received is None:
                awaiting.append(i)
            elif now - 20 * D <= received <= now - 2 * D:
                recent.append(i)
            elif received < now - 60 * D:
                old.append(i)
        rng.shuffle(recent)
        rng.shuffle(old)
        rng.shuffle(awaiting)
        self.refunds: list[dict] = []
        scale = self.n_orders / N_ORDERS  # smaller builds (--orders) keep the proportions
        for state, count in CLAIM_STATES.items():
            pool = recent if state in OPEN_STATES else old
            for _ in range(round(count * scale)):
                self.refunds.append({"order": pool.pop(), "claim_state": state})
        for reason, count in NOT_COVERED.items():
            pool = awaiting if reason == "before_receipt" else old
            for _ in range(round(count * scale)):
                self.refunds.append({"order": pool.pop(), "not_covered": reason})
        for r in self.refunds:
            self._timeline(r)
        # R62 buyers whose eligibility was revoked: a day before their first such request
        self.ineligible: dict[int, float] = {}
        for r in self.refunds:
            if r.get("not_covered") == "buyer_ineligible":
                buyer = self.o_buyer[r["order"]]
                at = r["requested"] - D
                self.ineligible[buyer] = min(at, self.ineligible.get(buyer, at))
        # refunds in time order, ids follow
        self.refunds.sort(key=lambda r: r["requested"])
        claim_status = {}
        for pk, r in enumerate(self.refunds, start=1):
            r["pk"] = pk
            state = r.get("claim_state")
            if state:
                claim_status[r["order"] + 1] = (
                    "claim_in_progress"
                    if state in OPEN_STATES
                    else "claim_paid"
                    if state == "paid"
                    else "claim_closed"
                )
        return claim_status

    def _timeline(self, r: dict) -> None:
        """Times and fields of the refund and its claim, consistent with R30-R41."""
        rng, now = self.rng, self.now
        i = r["order"]
        received = self.o_received[i]
        state = r.get("claim_state")
        if state is None:
            reason = r["not_covered"]
            if reason == "before_receipt":
                r["requested"] = self.o_shipped[i] + rng.uniform(
                    60, max(120, now - self.o_shipped[i] - 60)
                )
                r["reason"] = rng.choice(COVERED)
            elif reason == "outside_window":
                r["requested"] = received + rng.uniform(721 * H, 50 * D)
                r["reason"] = rng.choice(COVERED)
            elif reason == "buyer_ineligible":
                r["requested"] = received + rng.uniform(H, 29 * D)
                r["reason"] = rng.choice(COVERED)
            else:
                r["requested"] = received + rng.uniform(H, 40 * D)
                r["reason"] = rng.choice(NOT_COVERED_REASONS)
            r["requested"] = min(r["requested"], now - H)
            r["kind"] = rng.choice(["refund_only", "return_and_refund"])
            return
        r["reason"] = rng.choices(COVERED, [70, 20, 10])[0]
        ret = state in {
            "awaiting_return", "return_shipped", "received", "receipt_refused",
            "closed_timeout", "closed_refused",
        }  # fmt: skip
        if state in {"approved", "refunded"}:
            ret = False
        elif state in {"paid", "rejected", "cancelled", "submitted"}:
            ret = rng.random() < 0.5
        r["kind"] = "return_and_refund" if ret else "refund_only"
        # submission time
        if state == "submitted":
            sub = now - rng.uniform(10 * 60, 40 * H)
        elif state in {"approved", "refunded"}:
            sub = now - rng.uniform(2 * H, 30 * H)
        elif state == "awaiting_return":
            sub = now - rng.uniform(1 * D, 6 * D)
        elif state in OPEN_STATES:
            sub = now - rng.uniform(2 * D, 12 * D)
        else:
            sub = received + rng.uniform(H, 29 * D)
        sub = max(sub, received + 600)
        r["requested"] = sub
        c = r["claim"] = {"submitted": sub, "review_due": sub + 24 * H}
        log = r["log"] = [(sub, None, "submitted", "submit", None, "system: R30 covered request routed to the insurer")]  # fmt: skip
        c["review_overdue"] = state == "submitted" and sub + 24 * H < now
        fast = state in {"paid", "approved", "refunded"} and rng.random() < 0.3
        decided = sub if fast else sub + rng.uniform(0.5 * H, 20 * H)
        reviewer = N_SHOPS + 1
        merchant = self.o_shop[i]
        by = None if fast else reviewer
        decide_note = "system: R39 fast track" if fast else ""
        c["fast"] = fast
        if state == "submitted":
            return
        if state == "cancelled" and (r["kind"] == "refund_only" or rng.random() < 0.3):
            c["closed"] = sub + rng.uniform(H, 20 * H)
            log.append((c["closed"], "submitted", "cancelled", "cancel", None, "buyer withdrew the request"))  # fmt: skip
            return
        if state == "rejected":
            c["decided"] = c["closed"] = decided
            log.append((decided, "submitted", "rejected", "reject", reviewer, "照片与描述不符"))
            return
        c["decided"] = decided
        if r["kind"] == "refund_only":
            log.append((decided, "submitted", "approved", "approve_refund", by, decide_note))
            if state == "approved":
                return
            c["refunded"] = decided
            log.append((decided, "approved", "refunded", "complete_refund", None, "system: R35 refund on approval"))  # fmt: skip
            if state == "refunded":
                return
            c["closed"] = decided
            log.append((decided, "refunded", "paid", "mark_paid", None, "system: R35 automatic payout"))  # fmt: skip
            c["payout"] = decided
            return
        # returns (R33-R38)
        c["return_due"] = decided + 7 * D
        log.append((decided, "submitted", "awaiting_return", "approve_return", by, decide_note))
        if state == "awaiting_return":
            return
        if state == "cancelled":
            c["closed"] = decided + rng.uniform(H, 6 * D)
            log.append((c["closed"], "awaiting_return", "cancelled", "cancel", None, "buyer withdrew the request"))  # fmt: skip
            return
        if state == "closed_timeout":
            c["closed"] = c["return_due"] + rng.uniform(60, H)
            log.append((c["closed"], "awaiting_return", "closed_timeout", "close_timeout", None, "system: R33 no return tracking number before the deadline"))  # fmt: skip
            return
        shipped = decided + rng.uniform(0.5 * D, 6 * D)
        if state in {"return_shipped", "received", "receipt_refused"}:
            shipped = max(min(shipped, now - H), now - 9 * D, decided + H)
        c["shipped"] = shipped
        c["receipt_due"] = shipped + 10 * D
        c["carrier"] = rng.choice(CARRIERS)
        c["tracking"] = f"SF{rng.randrange(10**11, 10**12)}"
        log.append((shipped, "awaiting_return", "return_shipped", "ship_return", None, f"{c['carrier']} {c['tracking']}"))  # fmt: skip
        if state == "return_shipped":
            return
        acted = min(shipped + rng.uniform(0.5 * D, 3 * D), now - 60)
        if state == "received":
            log.append((acted, "return_shipped", "received", "confirm_receipt", merchant, ""))
            return
        path = "confirm"
        if state in {"receipt_refused", "closed_refused"}:
            path = "refuse"
        elif state == "paid":
            p = rng.random()
            path = "confirm" if p < 0.8 else "overdue" if p < 0.92 else "overruled"
        if path in {"refuse", "overruled"}:
            c["ground"] = rng.choice(GROUNDS)
            log.append((acted, "return_shipped", "receipt_refused", "refuse_receipt", merchant, "包裹是空的"))  # fmt: skip
            if state == "receipt_refused":
                return
            ruled = acted + rng.uniform(H, D)
            if state == "closed_refused":
                c["closed"] = ruled
                log.append((ruled, "receipt_refused", "closed_refused", "uphold_refusal", reviewer, "商家证据成立"))  # fmt: skip
                return
            log.append((ruled, "receipt_refused", "received", "overrule_refusal", reviewer, "拒收理由不成立"))  # fmt: skip
            c["breach"] = ("refusal_overruled", ruled)
            done, note = ruled, "system: R35 refund after overruling"
        elif path == "overdue":
            done = c["receipt_due"] + rng.uniform(60, H)
            log.append((done, "return_shipped", "received", "confirm_receipt", None, "system: R38 merchant receipt deadline passed"))  # fmt: skip
            c["breach"] = ("receipt_overdue", done)
            note = "system: R35 refund after the receipt deadline"
        else:
            done = acted
            log.append((done, "return_shipped", "received", "confirm_receipt", merchant, ""))
            note = "system: R35 refund on receipt"
        c["refunded"] = c["closed"] = c["payout"] = done
        c["compensation"] = done
        log.append((done, "received", "refunded", "complete_refund", None, note))
        log.append((done, "refunded", "paid", "mark_paid", None, "system: R35 automatic payout"))

    def refund_rows(self):
        for r in self.refunds:
            i = r["order"]
            c = r.get("claim")
            reason = r.get("not_covered", "")
            cancelled = c.get("closed") if r.get("claim_state") == "cancelled" else None
            yield [
                str(r["pk"]), f"R{r['pk']:09d}", r["kind"], r["reason"],
                money(self.o_first_line_paid[i]), "用了两天就坏了", ts(r["requested"]),
                val(c is not None), reason, "cancelled" if cancelled else "recorded", ts(cancelled),
                f"{r['pk']:064x}",
                str(self.o_buyer[i]), str(self.o_first_line[i]), str(i + 1), str(self.o_shop[i]),
            ]  # fmt: skip

    def claim_rows(self):
        """Claims get ids 1.. in refund order; keeps what payouts etc. need."""
        self.claims = []
        pk = 0
        for r in self.refunds:
            c = r.get("claim")
            if c is None:
                continue
            pk += 1
            c["pk"] = pk
            self.claims.append(r)
            i = r["order"]
            amount = self.o_first_line_paid[i]
            state = r["claim_state"]
            decided = c.get("decided")
            fast = c["fast"] and decided is not None
            yield [
                str(pk), r["kind"], state, money(amount), money(amount + 1000),
                ts(c["submitted"]), ts(c["review_due"]), val(c["review_overdue"]), ts(decided),
                val(fast), "R39 fast track" if fast else "",
                val(c["fast"] and decided is not None),
                "照片与描述不符" if state == "rejected" else "",
                f"杭州市余杭区文一西路 {self.o_shop[i]} 号" if "return_due" in c else "",
                ts(c.get("return_due")), c.get("carrier", ""), c.get("tracking", ""),
                ts(c.get("shipped")), ts(c.get("receipt_due")), c.get("ground", ""),
                "包裹是空的" if c.get("ground") else "", ts(c.get("refunded")), ts(c.get("closed")),
                str(self.o_buyer[i]), str(self.o_shop[i]), str(i + 1), str(r["pk"]),
                str(self.o_first_line[i]),
            ]  # fmt: skip

    def payouts(self):
        pk = 0
        for r in self.claims:
            c = r["claim"]
            if "payout" in c:
                pk += 1
                i = r["order"]
                shop = self.o_shop[i]
                yield [
                    str(pk), money(self.o_first_line_paid[i]), f"1380013{shop:04d}",
                    ts(c["payout"]), str(c["pk"]), str(shop), "pending", "", "", "",
                ]  # fmt: skip

    def compensations(self):
        pk = 0
        for r in self.claims:
            c = r["claim"]
            if "compensation" in c:
                pk += 1
                yield [str(pk), "10.00", ts(c["compensation"]), str(self.o_buyer[r["order"]]), str(c["pk"])]  # fmt: skip

    def breaches(self):
        pk = 0
        for r in self.claims:
            c = r["claim"]
            if "breach" in c:
                pk += 1
                cause, at = c["breach"]
                yield [str(pk), cause, "10000", ts(at), "settled", ts(at + 3 * D), str(c["pk"]), str(self.o_shop[r["order"]])]  # fmt: skip

    def state_logs(self, claim_ct: int):
        pk = 0
        for r in self.claims:
            c = r["claim"]
            for at, source, target, transition, by, note in r["log"]:
                pk += 1
                yield [
                    str(pk), ts(at), target, transition, str(c["pk"]), val(by), str(claim_ct),
                    note, val(source),
                ]  # fmt: skip

    def feedback(self):
        rng = self.rng
        for pk in range(1, round(N_FEEDBACK * self.n_orders / N_ORDERS) + 1):
            r = rng.choice(self.claims)
            c = r["claim"]
            i = r["order"]
            created = min(c["submitted"] + rng.uniform(H, 5 * D), self.now - 60)
            state = rng.choices(["open", "upheld", "dismissed"], [40, 25, 35])[0]
            decided = min(created + rng.uniform(H, 3 * D), self.now) if state != "open" else None
            yield [
                str(pk), rng.choice(["repeated_requests", "profiteering", "other"]),
                "该买家短期内多次申请退款", ts(created), state,
                "" if state == "open" else "已核实", ts(decided), str(self.o_buyer[i]),
                str(self.o_shop[i]), str(c["pk"]), str(i + 1),
            ]  # fmt: skip

    # invoices (R70-R75)

    def months(self) -> list[tuple[float, dt.date, dt.date]]:
        """Whole Asia/Shanghai months of the order span: (start epoch, first day, last day)."""
        first = dt.datetime.fromtimestamp(self.start, SHANGHAI).date().replace(day=1)
        today = dt.datetime.fromtimestamp(self.now, SHANGHAI).date()
        months = []
        day = first
        while day <= today:
            nxt = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            start = dt.datetime.combine(day, dt.time(), SHANGHAI).timestamp()
            months.append((start, day, nxt - dt.timedelta(days=1)))
            day = nxt
        return months

    def invoices(self, deadline_of, taxpayer_id):
        """Requests for ~70% of a shop's whole past months; lines = that month's premiums."""
        rng = self.rng
        months = self.months()
        starts = [m[0] for m in months]
        by_shop_month = defaultdict(list)
        for i in range(self.n_orders):
            m = bisect.bisect_right(starts, self.o_shipped[i]) - 1
            by_shop_month[(self.o_shop[i], m)].append(i)
        self.invoice_lines: list[tuple[int, int, bool]] = []  # (invoice pk, order index, live)
        today = dt.datetime.fromtimestamp(self.now, SHANGHAI).date()
        pk = 0
        for shop in range(1, N_SHOPS + 1):
            paper = rng.random() < 0.2
            for m, (_start, first, last) in enumerate(months):
                if last >= today or rng.random() > 0.7:
                    continue
                orders = by_shop_month.get((shop, m))
                if not orders:
                    continue
                pk += 1
                next_month = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), SHANGHAI)
                submitted = next_month.timestamp() + rng.uniform(H, 10 * D)
                if submitted > self.now - H:
                    submitted = self.now - rng.uniform(H, 3 * D)
                deadline = deadline_of(submitted)
                latest = m == len(months) - 2
                p = rng.random()
                if latest and p < 0.6:
                    state = "submitted"
                elif p < 0.05:
                    state = "rejected"
                elif p < 0.08:
                    state = "cancelled"
                else:
                    state = "shipped" if paper else "issued"
                live = state not in {"rejected", "cancelled"}
                amount = sum(self.premium(i) for i in orders)
                processed = min(submitted + rng.uniform(H, 7 * D), self.now - 60)
                issued = processed if state in {"issued", "shipped"} else None
                shipped = processed if state == "shipped" else None
                closed = processed if not live else None
                for i in orders:
                    self.invoice_lines.append((pk, i, live))
                yield [
                    str(pk), first.isoformat(), last.isoformat(),
                    "paper_special" if paper else "electronic_general",
                    f"电器店{shop:03d}有限公司", taxpayer_id(shop), f"shop{shop:03d}@scale.example",
                    f"杭州市余杭区文一西路 {shop} 号" if paper else "",
                    "王经理" if paper else "", "0571-88888888" if paper else "",
                    money(amount), str(len(orders)), state, ts(submitted), ts(deadline),
                    f"{pk:020d}" if issued else "",
                    dt.datetime.fromtimestamp(issued, SHANGHAI).date().isoformat() if issued else r"\N",
                    "", ts(issued), "顺丰" if shipped else "",
                    f"SF{pk:012d}" if shipped else "", ts(shipped),
                    ts(processed if state in {"issued", "shipped"} else None),
                    "抬头与税号不符" if state == "rejected" else "", ts(closed), str(shop), str(shop),
                ]  # fmt: skip

    def invoice_line_rows(self):
        for pk, (invoice, i, live) in enumerate(self.invoice_lines, start=1):
            yield [str(pk), money(self.premium(i)), val(live), str(invoice), str(i + 1)]


def taxpayer_id_for(shop: int) -> str:
    from invoicing.validators import credit_code_check_char

    first17 = f"91330100{shop:09d}"
    return first17 + credit_code_check_char(first17)


def main() -> int:
    args = parse_args()
    if args.now:
        now = dt.datetime.fromisoformat(args.now).timestamp()
    else:
        now = float(int(time.time()) // 60 * 60)
    total_start = time.perf_counter()
    print(f"database {args.database_url} (dropped and created); now = {ts(now)}; seed {args.seed}")
    step = time.perf_counter()
    recreate_database(args.database_url)
    migrate(args.database_url)
    print(f"  {'create database + migrate':<32} {'':>10}      {time.perf_counter() - step:7.1f} s")

    import psycopg
    from django.contrib.auth.hashers import make_password

    from invoicing.calendar import invoice_deadline

    build = Build(args.seed, now, args.orders)
    conn = psycopg.connect(args.database_url, autocommit=False)
    # Foreign-key triggers off during the load (the rows are generated consistent; checked
    # afterwards by anti-joins); CHECK and UNIQUE constraints stay on.
    conn.execute("SET session_replication_role = replica")
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET maintenance_work_mem = '512MB'")
    load = Loader(conn)
    claim_ct = conn.execute(
        "SELECT id FROM django_content_type WHERE app_label='claims' AND model='claim'"
    ).fetchone()[0]
    reviewer_group = conn.execute(
        "SELECT id FROM auth_group WHERE name = 'claim reviewer'"
    ).fetchone()[0]
    finance_group = conn.execute("SELECT id FROM auth_group WHERE name = 'finance'").fetchone()[0]
    underwriter_group = conn.execute(
        "SELECT id FROM auth_group WHERE name = 'underwriter'"
    ).fetchone()[0]

    load.copy(
        "auth_user",
        [
            "id",
            "password",
            "last_login",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
        ],
        build.users(make_password(PASSWORD)),
    )
    staff = [(N_SHOPS + 1, reviewer_group), (N_SHOPS + 2, finance_group), (N_SHOPS + 3, underwriter_group)]  # fmt: skip
    load.copy(
        "auth_user_groups",
        ["id", "user_id", "group_id"],
        ([str(n), str(u), str(g)] for n, (u, g) in enumerate(staff, start=1)),
    )
    load.copy(
        "enrollment_shop",
        ["id", "platform_shop_id", "name", "industry", "created_at"],
        build.shops(),
    )
    load.copy(
        "enrollment_merchant",
        ["id", "user_id", "shop_id"],
        ([str(n), str(n), str(n)] for n in range(1, N_SHOPS + 1)),
    )
    load.copy(
        "enrollment_invitation",
        [
            "id",
            "contact_email",
            "expires_at",
            "created_at",
            "state",
            "revoked_at",
            "note",
            "invited_by_id",
            "shop_id",
        ],
        build.invitations(),
    )
    load.copy(
        "enrollment_enrollment",
        [
            "id",
            "state",
            "alipay_account",
            "return_contact",
            "return_phone",
            "return_address",
            "terms_accepted_at",
            "applied_at",
            "reviewed_at",
            "rejection_reason",
            "effective_at",
            "exit_requested_at",
            "exit_reason",
            "exited_at",
            "applied_by_id",
            "reviewed_by_id",
            "invitation_id",
            "shop_id",
            "alipay_name",
        ],
        build.enrollments(),
    )
    build.shop_rates()
    load.copy(
        "enrollment_premiumrate",
        [
            "id",
            "rate",
            "effective_from",
            "source",
            "reason",
            "inputs",
            "created_at",
            "created_by_id",
            "shop_id",
        ],
        build.premium_rates(),
    )
    started = time.perf_counter()
    load.copy(
        "claims_order",
        [
            "id",
            "platform_order_id",
            "paid_amount",
            "placed_at",
            "insured",
            "rate",
            "shipped_at",
            "received_at",
            "buyer_id",
            "shop_id",
        ],
        build.orders(),
        started,
    )
    load.copy(
        "claims_orderline",
        ["id", "platform_line_id", "sku", "title", "quantity", "paid_amount", "order_id"],
        build.order_lines(),
    )
    started = time.perf_counter()
    claim_status = build.plan_refunds()
    print(f"  {'(planning refunds and claims)':<32} {'':>10}      {time.perf_counter() - started:7.1f} s")  # fmt: skip
    load.copy(
        "claims_buyer",
        [
            "id",
            "platform_buyer_id",
            "credit_tier",
            "eligibility",
            "revoked_at",
            "revoke_reason",
            "credit_impact",
            "revoked_by_id",
        ],
        build.buyers(build.ineligible),
    )
    load.copy(
        "claims_policy",
        [
            "id",
            "policy_no",
            "premium",
            "rate",
            "issued_at",
            "coverage_start",
            "coverage_end",
            "claim_status",
            "order_id",
            "shop_id",
        ],
        build.policies(claim_status),
    )
    load.copy(
        "claims_refundrequest",
        [
            "id",
            "platform_refund_id",
            "kind",
            "reason",
            "amount",
            "description",
            "requested_at",
            "covered",
            "not_covered_reason",
            "state",
            "cancelled_at",
            "content_hash",
            "buyer_id",
            "line_id",
            "order_id",
            "shop_id",
        ],
        build.refund_rows(),
    )
    load.copy(
        "claims_claim",
        [
            "id",
            "kind",
            "state",
            "amount",
            "payable_cap",
            "submitted_at",
            "review_due_at",
            "review_overdue",
            "decided_at",
            "decided_by_system",
            "decision_rule",
            "fast_tracked",
            "rejection_reason",
            "return_address",
            "return_due_at",
            "return_carrier",
            "return_tracking_number",
            "return_shipped_at",
            "receipt_due_at",
            "refusal_ground",
            "refusal_note",
            "refunded_at",
            "closed_at",
            "buyer_id",
            "shop_id",
            "policy_id",
            "refund_id",
            "line_id",
        ],
        build.claim_rows(),
    )
    load.copy(
        "claims_payout",
        [
            "id",
            "amount",
            "alipay_account",
            "paid_at",
            "claim_id",
            "shop_id",
            "state",
            "alipay_name",
            "provider_reference",
            "failure_reason",
        ],  # fmt: skip
        build.payouts(),
    )
    load.copy(
        "claims_buyercompensation",
        ["id", "amount", "paid_at", "buyer_id", "claim_id"],
        build.compensations(),
    )
    load.copy(
        "claims_servicebreach",
        ["id", "cause", "points", "recorded_at", "state", "settled_at", "claim_id", "shop_id"],
        build.breaches(),
    )
    load.copy(
        "django_fsm_log_statelog",
        [
            "id",
            "timestamp",
            "state",
            "transition",
            "object_id",
            "by_id",
            "content_type_id",
            "description",
            "source_state",
        ],
        build.state_logs(claim_ct),
    )
    load.copy(
        "claims_buyerfeedback",
        [
            "id",
            "category",
            "description",
            "created_at",
            "state",
            "outcome_note",
            "decided_at",
            "buyer_id",
            "shop_id",
            "claim_id",
            "policy_id",
        ],
        build.feedback(),
    )

    def deadline_of(epoch: float) -> float:
        return invoice_deadline(dt.datetime.fromtimestamp(epoch, dt.UTC)).timestamp()

    load.copy(
        "invoicing_invoicerequest",
        [
            "id",
            "period_start",
            "period_end",
            "invoice_type",
            "title",
            "taxpayer_id",
            "email",
            "mailing_address",
            "recipient",
            "phone",
            "amount",
            "policy_count",
            "state",
            "submitted_at",
            "deadline_at",
            "invoice_number",
            "invoice_date",
            "invoice_pdf",
            "issued_at",
            "carrier",
            "tracking_number",
            "shipped_at",
            "processed_at",
            "rejection_reason",
            "closed_at",
            "shop_id",
            "submitted_by_id",
        ],
        build.invoices(deadline_of, taxpayer_id_for),
    )
    load.copy(
        "invoicing_invoiceline",
        ["id", "premium", "live", "invoice_id", "policy_id"],
        build.invoice_line_rows(),
    )
    started = time.perf_counter()
    tables = [t for t, _n, _s in load.times]
    for table in dict.fromkeys(tables):
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))"
        )
    conn.commit()
    print(f"  {'(sequences + commit)':<32} {'':>10}      {time.perf_counter() - started:7.1f} s")
    conn.execute("SET session_replication_role = DEFAULT")
    conn.commit()

    started = time.perf_counter()
    problems = check_foreign_keys(conn)
    print(f"  {'(foreign keys checked)':<32} {'':>10}      {time.perf_counter() - started:7.1f} s")
    if problems:
        for problem in problems:
            print(f"  FOREIGN KEY VIOLATION: {problem}")
        return 1

    started = time.perf_counter()
    written = fill_rollups()
    print(
        f"  {'rollups (claims.rollups.rebuild)':<32} {sum(written.values()):>10,}      {time.perf_counter() - started:7.1f} s"
    )

    conn.autocommit = True
    started = time.perf_counter()
    conn.execute("VACUUM (ANALYZE)")  # statistics, and the visibility map for index-only scans
    print(f"  {'VACUUM (ANALYZE)':<32} {'':>10}      {time.perf_counter() - started:7.1f} s")
    conn.close()
    total = time.perf_counter() - total_start
    print(f"total {total:.1f} s ({total / 60:.1f} min)")
    print_summary(args.database_url)
    return 0


def fill_rollups() -> dict:
    """The merchant figures' rollups (issue 10), derived set-based from the loaded rows by the
    same function as `manage.py rebuild_rollups`: one INSERT ... SELECT ... GROUP BY per table."""
    from claims import rollups

    return rollups.rebuild()


def check_foreign_keys(conn) -> list[str]:
    """Every foreign key of the loaded tables holds (they were not checked during COPY)."""
    rows = conn.execute(
        """
        SELECT c.conrelid::regclass, a.attname, c.confrelid::regclass, af.attname
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
        WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1
        """
    ).fetchall()
    problems = []
    for table, column, ref, ref_column in rows:
        missing = conn.execute(
            f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {ref} r WHERE r.{ref_column} = t.{column})"
        ).fetchone()[0]
        if missing:
            problems.append(f"{table}.{column} -> {ref}: {missing} rows")
    conn.commit()
    return problems


def print_summary(database_url: str) -> None:
    import psycopg

    with psycopg.connect(database_url) as conn:
        print("rows:")
        for table in [
            "enrollment_shop", "claims_buyer", "claims_order", "claims_orderline",
            "claims_policy", "claims_refundrequest", "claims_claim", "claims_payout",
            "claims_buyercompensation", "claims_servicebreach", "django_fsm_log_statelog",
            "claims_buyerfeedback", "invoicing_invoicerequest", "invoicing_invoiceline",
            "claims_shopday", "claims_shopdayreason", "claims_shopclaimstate",
        ]:  # fmt: skip
            n = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            print(f"  {table:<32} {n:>10,}")
        big = conn.execute(
            "SELECT count(*) FROM claims_policy WHERE shop_id = %s", [BIG_SHOP_ID]
        ).fetchone()[0]
        print(f"  big shop {BIG_SHOP_PLATFORM_ID} policies: {big:,}")
        states = conn.execute(
            "SELECT state, count(*) FROM claims_claim GROUP BY state ORDER BY 2 DESC"
        ).fetchall()
        print("  claims by state: " + ", ".join(f"{s} {n:,}" for s, n in states))
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"  database size: {size.fetchone()[0]}")


if __name__ == "__main__":
    sys.exit(main())
