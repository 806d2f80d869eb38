"""The reliability run's traffic: the marketplace's events and senders, merchants browsing.

Events are deterministic (an order's id always gives the same four events, with the same
event ids); senders share a token bucket; every merchant signs in through the real login
form with cookies of its own. `Tally` keeps what the API answered.
"""

import datetime as dt
import http.cookiejar
import json
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict

from bench.common import order_events
from bench.reliability.harness import PASSWORD, SHOP_ID, pct

# --- the marketplace's events ---


class Events:
    """Deterministic orders: placed, shipped, received, then a refund request with a photo.
    The same order id always gives the same events (and event ids)."""

    def __init__(self, seed=6):
        from django.utils import timezone

        self.seed, self.now = seed, timezone.now()

    def order(self, order_id, *, days_ago=None, tier=None, kind=None, reason=None, price=None):
        from simulator.market import image_evidence

        rng = random.Random(f"{self.seed}-{order_id}")
        placed = self.now - dt.timedelta(days=days_ago if days_ago else 5 + rng.random() * 40)
        received = placed + dt.timedelta(days=2)
        requested = received + dt.timedelta(days=1 + rng.random() * 2)
        paid = f"{price or rng.choice([99, 199, 299, 599, 1299])}.00"
        tier = tier or rng.randint(1, 5)
        return order_events(
            order_id,
            shop_id=SHOP_ID,
            buyer_id=f"U-{order_id}" if tier >= 4 else f"B-{rng.randrange(5000)}",
            credit_tier=tier,
            placed=placed,
            requested=requested,
            paid=paid,
            sku="SKU-R",
            title="电饭煲",
            kind=kind or rng.choice(["refund_only", "return_and_refund"]),
            reason=reason or rng.choices(["quality_issue", "wrong_size"], [75, 25])[0],
            description="不加热",
            image=image_evidence(rng, order_id),
        )

    def batch(self, prefix: str, orders: int) -> list[dict]:
        per_order = [self.order(f"{prefix}-{n:04d}") for n in range(orders)]
        return [e for stage in zip(*per_order, strict=True) for e in stage]

    @staticmethod
    def invalid(tag: str) -> list[dict]:
        """Two events the API must reject: an unknown shop, a malformed amount."""
        from django.utils import timezone

        from platform_api.events import order_line, order_placed

        at = timezone.now()
        return [
            order_placed(
                f"{tag}-{n}",
                shop_id=shop,
                buyer_id="b",
                credit_tier=3,
                placed_at=at,
                lines=[order_line("x-1", sku="S", title="t", quantity=1, paid_amount=amount)],
            )
            for n, shop, amount in (("X1", "TM-NOT-A-SHOP", "10.00"), ("X2", SHOP_ID, "10.001"))
        ]


def post_events(base: str, events: list[dict], secret: str, timeout=120):
    """(HTTP status or None, results or None, error text)."""
    from platform_api.events import signed_batch

    body, signed = signed_batch(events, secret=secret)
    headers = {**signed, "Content-Type": "application/json"}
    request = urllib.request.Request(base + "/api/v1/events", data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())["results"], ""
    except urllib.error.HTTPError as error:
        return error.code, None, f"HTTP {error.code}"
    except OSError as error:  # refused, reset, timed out
        return None, None, f"{error.__class__.__name__}: {error}"


class Tally:
    """What the API answered, per event type; the ids it applied."""

    RETRY = "retry later"

    def __init__(self):
        self.lock = threading.Lock()
        self.sent = Counter()
        self.status = defaultdict(Counter)  # type -> status -> n
        self.applied_ids: set[str] = set()
        self.attempted_ids: set[str] = set()  # every event posted, answered or not
        self.http = Counter()
        self.errors = Counter()
        self.retry: list[dict] = []  # events to send again (failed requests, "retry later")
        self.timeline = []  # (monotonic, ok: bool, what)

    def record(self, events, status, results, error, *, retry_failures=False, started=None):
        now = started if started is not None else time.monotonic()
        with self.lock:
            self.attempted_ids.update(e["id"] for e in events)
            self.http[status or "no answer"] += 1
            self.timeline.append((now, status == 200, "events"))
            if results is None:
                self.errors[error] += 1
                if retry_failures:
                    self.retry.extend(events)
                return
            if retry_failures and any(self.RETRY in r.get("error", "") for r in results):
                # The whole batch again, as a marketplace would: the events after a failed one
                # may depend on it (rejected "unknown order"); the others come back duplicate.
                self.retry.extend(events)
            for event, result in zip(events, results, strict=True):
                self.sent[event["type"]] += 1
                self.status[event["type"]][result["status"]] += 1
                if result["status"] == "applied":
                    self.applied_ids.add(result["id"])
                elif result["status"] == "rejected":
                    reason = re.sub(r"'[^']*'", "…", result.get("error", ""))[:70]
                    self.errors[reason] += 1

    def totals(self) -> Counter:
        out = Counter()
        for counts in self.status.values():
            out.update(counts)
        return out


class Sender(threading.Thread):
    """Posts batches at a shared target rate; every 5th batch resends 10 old events and adds
    2 invalid ones. Bounded by `stop` and `deadline`."""

    def __init__(self, name, portal, secret, events, tally, pace, stop, batch, retry=False):
        super().__init__(name=name, daemon=True)
        self.portal, self.secret, self.events, self.tally = portal, secret, events, tally
        self.pace, self.stop, self.batch, self.retry = pace, stop, batch, retry
        self.previous: list[dict] = []

    def run(self):
        orders = max(1, self.batch // 4)
        for n in range(100_000):
            if self.stop.is_set():
                return
            self.pace.wait(self.batch)
            events = self.events.batch(f"{self.name}-{n:05d}", orders)
            if n % 5 == 4 and self.previous:
                events += self.previous[:10] + Events.invalid(f"{self.name}-{n:05d}")
            self.previous = events[: len(events) // 2]
            started = time.monotonic()
            status, results, error = post_events(self.portal.base, events, self.secret)
            self.tally.record(
                events, status, results, error, retry_failures=self.retry, started=started
            )
            if results is None:
                time.sleep(0.2)


class Pace:
    """A shared token bucket: `wait(n)` returns when n more events fit the target rate."""

    def __init__(self, rate):
        self.rate, self.lock, self.start, self.granted = rate, threading.Lock(), None, 0

    def wait(self, n):
        with self.lock:
            if self.start is None:
                self.start = time.monotonic()
            due = self.start + self.granted / self.rate
            self.granted += n
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)


# --- merchants browsing ---

PAGES = [
    ("dashboard", "/dashboard/", 3),
    ("policies", "/policies/", 3),
    ("policies, next page", None, 2),
    ("policy detail", None, 2),
    ("refunds", "/refunds/", 2),
    ("refunds, 质保卡", "/refunds/?business=warranty", 2),
    ("claim detail", None, 3),
    ("payouts", "/payouts/", 1),
    ("invoices", "/invoices/", 1),
]


class Browser(threading.Thread):
    def __init__(self, name, portal, stop, stats, timeline, seed, think=0.0):
        super().__init__(name=name, daemon=True)
        self.think = think
        self.portal, self.stop, self.stats, self.timeline = portal, stop, stats, timeline
        self.rng = random.Random(seed)
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.links = {"policy detail": [], "claim detail": [], "policies, next page": []}
        self.lock = threading.Lock()

    def get(self, path, timeout=60):
        try:
            with self.opener.open(self.portal.base + path, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, ""
        except OSError:
            return None, ""

    def login(self) -> bool:
        status, _ = self.get("/accounts/login/")
        token = next((c.value for c in self.jar if c.name == "csrftoken"), None)
        if status != 200 or token is None:
            return False
        body = urllib.parse.urlencode(
            {
                "username": "reliability@shop.example",
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
            }
        ).encode()
        request = urllib.request.Request(self.portal.base + "/accounts/login/", data=body)
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.url.endswith("/dashboard/")
        except OSError:
            return False

    def run(self):
        if not self.login():
            self.stats["login failed"].append((None, 0.0))
            return
        names = [p[0] for p in PAGES]
        weights = [p[2] for p in PAGES]
        paths = {p[0]: p[1] for p in PAGES}
        for _ in range(1_000_000):
            if self.stop.is_set():
                return
            name = self.rng.choices(names, weights)[0]
            path = paths[name] or (self.rng.choice(self.links[name]) if self.links[name] else None)
            if path is None:
                name, path = "policies", "/policies/"
            started = time.monotonic()
            status, html = self.get(path)
            elapsed = time.monotonic() - started
            self.stats[name].append((status, elapsed))
            self.timeline.append((started, status is not None and status < 500, "page"))
            if status == 200:
                self._remember(html)
            elif status is None or status >= 500:
                time.sleep(0.2)
            if self.think:
                self.stop.wait(self.rng.uniform(0.5, 1.5) * self.think)

    def _remember(self, html):
        found = {
            "policy detail": [
                f"/policies/{pk}/" for pk in re.findall(r'href="/policies/(\d+)/"', html)
            ],
            "claim detail": [f"/claims/{pk}/" for pk in re.findall(r'href="/claims/(\d+)/"', html)],
            "policies, next page": [
                "/policies/" + q.replace("&amp;", "&")
                for q in re.findall(r'href="(\?[^"]*after=[^"]*)"', html)
            ],
        }
        for key, links in found.items():
            if links:
                self.links[key] = (self.links[key] + links)[-200:]


def browse_report(stats) -> int:
    """Print per-page figures; return the number of 5xx and unanswered requests."""
    bad = 0
    print(f"    {'page':<22} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8}  statuses")
    for name, rows in sorted(stats.items()):
        times = [t * 1000 for _s, t in rows]
        statuses = Counter(s if s is not None else "no answer" for s, _t in rows)
        bad += sum(n for s, n in statuses.items() if s == "no answer" or s >= 500)
        print(
            f"    {name:<22} {len(rows):>8} {pct(times, 50):>8.0f} {pct(times, 95):>8.0f}  "
            f"{dict(statuses)}"
        )
    return bad
