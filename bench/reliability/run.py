"""Reliability scenarios of issue 6 on a real gunicorn + PostgreSQL, loopback only.

    .venv/bin/python bench/reliability/run.py                   # all four, about 3 minutes
    .venv/bin/python bench/reliability/run.py --seconds 20 --only load,kill
    .venv/bin/python bench/reliability/run.py --pg-fault terminate   # no PostgreSQL restart

1. load   merchants browse while the marketplace sends signed event batches (~500 events/s):
          zero 5xx; applied + duplicate + rejected = sent; tables and ledger reconcile.
2. kill   SIGKILL gunicorn (master and workers) in the middle of a 1,000-event batch,
          restart it, send the batch again, and again: each event applied exactly once.
3. pg     restart PostgreSQL during load: requests fail while it is down, then succeed
          without restarting gunicorn; the failed batches are sent again (idempotent).
4. sweep  SIGKILL `manage.py sweep_deadlines` half-way through many due claims, rerun it:
          the same claim states, payouts and audit rows as one clean sweep on a copy.

Every loop is bounded in time and count; gunicorn, the sweep and PostgreSQL are put back
however the run ends. See bench/reliability/README.md.
"""

import argparse
import contextlib
import datetime as dt
import http.cookiejar
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SHOP_ID = "TM-REL-1"
PASSWORD = "reliability-merchant-2026"
PROBLEMS: list[str] = []  # every failed check, printed again at the end


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of the load scenario")
    parser.add_argument("--rate", type=float, default=500, help="target events/s")
    parser.add_argument("--browsers", type=int, default=3, help="merchant browsing threads")
    parser.add_argument(
        "--think", type=float, default=0.25, help="a merchant's pause between pages (s)"
    )
    parser.add_argument("--senders", type=int, default=2, help="event sender threads")
    parser.add_argument("--batch", type=int, default=100, help="events per request (load)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (README: 4)")
    parser.add_argument("--kill-at", type=float, default=0.85, help="fraction of the batch")
    parser.add_argument("--pg-seconds", type=float, default=24, help="length of the pg scenario")
    parser.add_argument(
        "--pg-fault",
        choices=["restart", "terminate"],
        default="restart",
        help="restart the cluster (pg_ctlcluster) or only terminate this database's sessions",
    )
    parser.add_argument("--pg-cluster", default=None, help='e.g. "15 main" (default: the first)')
    parser.add_argument(
        "--conn-health-checks",
        action="store_true",
        help="DATABASE_URL with conn_health_checks=true (the README's URL has only conn_max_age)",
    )
    parser.add_argument("--due", type=int, default=1500, help="due claims for the sweep")
    parser.add_argument("--only", default="load,kill,pg,sweep", help="comma-separated scenarios")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/warranty_reliability"
    )
    return parser.parse_args()


def check(ok: bool, what: str) -> bool:
    print(f"    [{'ok' if ok else 'FAIL'}] {what}")
    if not ok:
        PROBLEMS.append(what)
    return ok


def pct(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


# --- database, Django, gunicorn ---


def admin_url(database_url: str, name: str = "postgres") -> str:
    url = urllib.parse.urlsplit(database_url)
    return urllib.parse.urlunsplit(("postgresql", url.netloc, f"/{name}", "", ""))


def db_name(database_url: str) -> str:
    return urllib.parse.urlsplit(database_url).path.lstrip("/")


def recreate_database(database_url: str, *, template: str | None = None) -> None:
    import psycopg

    name = db_name(database_url)
    with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')


def drop_database(database_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name(database_url)}" WITH (FORCE)')


def production_env(database_url: str, media_root: str, health_checks: bool) -> dict:
    """Production mode as in README "Production", on plain HTTP over loopback."""
    query = "conn_max_age=600" + ("&conn_health_checks=True" if health_checks else "")
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "PLATFORM_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "127.0.0.1",
        # No TLS on loopback: no HTTPS redirect, and cookies a plain-HTTP client sends back.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "STATIC_MANIFEST": "false",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DATABASE_URL": f"{database_url}?{query}",
        "MEDIA_ROOT": media_root,
        "LOG_LEVEL": "WARNING",
    }


def setup_django(env: dict) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    import django

    django.setup()


def close_db() -> None:
    from django.db import connections

    connections.close_all()


def enroll_shop() -> None:
    """Migrate, enroll the shop 60 days ago (its past orders are insured), set a password."""
    from bench.common import enroll_bench_shop

    merchant = enroll_bench_shop(
        platform_shop_id=SHOP_ID,
        shop_name="可靠性测试电器店",
        contact_email="reliability@shop.example",
        underwriter="rel-underwriter",
    )
    merchant.set_password(PASSWORD)
    merchant.save()


class Portal:
    """gunicorn in its own process group, so that SIGKILL reaches the master and workers."""

    def __init__(self, env: dict, workers: int, log: Path):
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.env, self.workers, self.log, self.proc = env, workers, log, None

    def start(self) -> float:
        command = [
            str(ROOT / ".venv/bin/gunicorn"),
            "portal.wsgi",
            "--workers",
            str(self.workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "120",
        ]
        started = time.monotonic()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_ready()
        return time.monotonic() - started

    def wait_ready(self, timeout=60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode} (log {self.log})")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.base + "/healthz", timeout=2) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"the portal did not answer /healthz in {timeout:.0f} s")

    def group_alive(self) -> bool:
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill9(self) -> int:
        """SIGKILL the master and every worker at once; how many processes were there."""
        children = subprocess.run(
            ["pgrep", "-g", str(self.proc.pid)], capture_output=True, text=True
        ).stdout.split()
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        for _ in range(50):
            if not self.group_alive():
                break
            time.sleep(0.1)
        return len(children)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            with contextlib.suppress(ProcessLookupError, AttributeError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # orphaned workers, if any
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


# --- the marketplace's events ---


class Events:
    """Deterministic orders: placed, shipped, received, then a refund request with a photo.
    The same order id always gives the same events (and event ids)."""

    def __init__(self, seed=6):
        from django.utils import timezone

        self.seed, self.now = seed, timezone.now()

    def order(self, order_id, *, days_ago=None, tier=None, kind=None, reason=None, price=None):
        from claims.simulator import event, evidence_payload, image_evidence, iso

        rng = random.Random(f"{self.seed}-{order_id}")
        placed = self.now - dt.timedelta(days=days_ago if days_ago else 5 + rng.random() * 40)
        shipped, received = placed + dt.timedelta(hours=3), placed + dt.timedelta(days=2)
        requested = received + dt.timedelta(days=1 + rng.random() * 2)
        paid = f"{price or rng.choice([99, 199, 299, 599, 1299])}.00"
        line_id = f"{order_id}-1"
        tier = tier or rng.randint(1, 5)
        buyer = {
            "id": f"U-{order_id}" if tier >= 4 else f"B-{rng.randrange(5000)}",
            "credit_tier": tier,
        }
        line = {
            "line_id": line_id,
            "sku": "SKU-R",
            "title": "电饭煲",
            "quantity": 1,
            "paid_amount": paid,
        }
        refund = {
            "refund_id": f"{order_id}-R",
            "order_id": order_id,
            "line_id": line_id,
            "kind": kind or rng.choice(["refund_only", "return_and_refund"]),
            "reason": reason or rng.choices(["quality_issue", "wrong_size"], [75, 25])[0],
            "amount": paid,
            "description": "不加热",
            "evidence": evidence_payload([image_evidence(rng, order_id)]),
            "requested_at": iso(requested),
        }
        data = {"order_id": order_id, "shop_id": SHOP_ID, "buyer": buyer, "placed_at": iso(placed)}
        return [
            event(order_id, "order.placed", placed, {**data, "lines": [line]}),
            event(
                order_id,
                "order.shipped",
                shipped,
                {"order_id": order_id, "shipped_at": iso(shipped)},
            ),
            event(
                order_id,
                "order.received",
                received,
                {"order_id": order_id, "received_at": iso(received)},
            ),
            event(refund["refund_id"], "refund.requested", requested, refund),
        ]

    def batch(self, prefix: str, orders: int) -> list[dict]:
        per_order = [self.order(f"{prefix}-{n:04d}") for n in range(orders)]
        return [e for stage in zip(*per_order, strict=True) for e in stage]

    @staticmethod
    def invalid(tag: str) -> list[dict]:
        """Two events the API must reject: an unknown shop, a malformed amount."""
        from django.utils import timezone

        from claims.simulator import event, iso

        at = timezone.now()
        line = {"line_id": "x-1", "sku": "S", "title": "t", "quantity": 1}
        return [
            event(
                f"{tag}-X1",
                "order.placed",
                at,
                {
                    "order_id": f"{tag}-X1",
                    "shop_id": "TM-NOT-A-SHOP",
                    "buyer": {"id": "b", "credit_tier": 3},
                    "placed_at": iso(at),
                    "lines": [{**line, "paid_amount": "10.00"}],
                },
            ),
            event(
                f"{tag}-X2",
                "order.placed",
                at,
                {
                    "order_id": f"{tag}-X2",
                    "shop_id": SHOP_ID,
                    "buyer": {"id": "b", "credit_tier": 3},
                    "placed_at": iso(at),
                    "lines": [{**line, "paid_amount": "10.001"}],
                },
            ),
        ]


def post_events(base: str, events: list[dict], secret: str, timeout=120):
    """(HTTP status or None, results or None, error text)."""
    from platform_api.auth import signed_headers

    body = json.dumps({"events": events}, ensure_ascii=False).encode()
    headers = {**signed_headers(body, secret=secret), "Content-Type": "application/json"}
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


# --- reconciliation ---


def evidence_files(media_root) -> set[str]:
    root = Path(media_root) / "evidence"
    return {str(p.relative_to(media_root)) for p in root.rglob("*") if p.is_file()}


CAPPED = "paid claims' min(amount, cap)"


def ledger() -> dict:
    """Counts and sums that a correct run keeps consistent."""
    from django.db.models import Count, F, Sum
    from django.db.models.functions import Least

    from claims.models import (
        BuyerCompensation,
        Claim,
        ClaimState,
        Evidence,
        Order,
        OrderLine,
        Payout,
        Policy,
        RefundRequest,
        ServiceBreach,
    )
    from platform_api.models import PlatformEvent

    paid = Claim.objects.filter(state=ClaimState.PAID)
    return {
        "events": PlatformEvent.objects.count(),
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "orders received": Order.objects.filter(received_at__isnull=False).count(),
        "policies": Policy.objects.count(),
        "refunds": RefundRequest.objects.count(),
        "covered refunds": RefundRequest.objects.filter(covered=True).count(),
        "claims": Claim.objects.count(),
        "claims by state": dict(Claim.objects.values_list("state").annotate(n=Count("id"))),
        "evidence rows": Evidence.objects.count(),
        "paid claims": paid.count(),
        "payouts": Payout.objects.count(),
        "payout sum": Payout.objects.aggregate(s=Sum("amount"))["s"] or Decimal("0.00"),
        CAPPED: paid.aggregate(s=Sum(Least(F("amount"), F("payable_cap"))))["s"] or Decimal("0.00"),
        "compensations": BuyerCompensation.objects.count(),
        "compensation sum": BuyerCompensation.objects.aggregate(s=Sum("amount"))["s"]
        or Decimal("0.00"),
        "breaches": ServiceBreach.objects.count(),
        "premium sum": Policy.objects.aggregate(s=Sum("premium"))["s"] or Decimal("0.00"),
    }


def premiums_recomputed() -> Decimal:
    """sum over policies of paid x rate, rounded half-up per policy (R1, R22), in Python."""
    from decimal import ROUND_HALF_UP

    from claims.models import Policy

    total = Decimal("0.00")
    for paid, rate in Policy.objects.values_list("order__paid_amount", "order__rate").iterator():
        total += (paid * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return total


def reconcile(tally: Tally, media_root: str, *, before: dict | None = None) -> dict:
    from claims.models import Claim, ClaimState, Order, RefundRequest
    from platform_api.models import PlatformEvent

    now = ledger()
    base = before or {k: 0 for k in now}
    applied = {t: c["applied"] for t, c in tally.status.items()}

    def grew(key):
        return now[key] - base[key]

    totals = tally.totals()
    sent = sum(tally.sent.values())
    check(
        totals["applied"] + totals["duplicate"] + totals["rejected"] == sent,
        f"applied {totals['applied']} + duplicate {totals['duplicate']} + rejected "
        f"{totals['rejected']} = sent {sent}",
    )
    check(
        grew("events") == totals["applied"],
        f"PlatformEvent rows +{grew('events')} = applied {totals['applied']}",
    )
    stored = set(
        PlatformEvent.objects.filter(event_id__in=tally.applied_ids).values_list(
            "event_id", flat=True
        )
    )
    check(stored == tally.applied_ids, f"every applied event id is stored ({len(stored)})")
    for key, kind in [
        ("orders", "order.placed"),
        ("policies", "order.shipped"),
        ("orders received", "order.received"),
        ("refunds", "refund.requested"),
        ("evidence rows", "refund.requested"),  # one photo per refund request
    ]:
        check(
            grew(key) == applied.get(kind, 0),
            f"{key} +{grew(key)} = applied {kind} {applied.get(kind, 0)}",
        )
    check(
        now["lines"] == now["orders"],
        f"order lines {now['lines']} = orders {now['orders']} (one line each)",
    )
    check(
        now["claims"] == now["covered refunds"],
        f"claims {now['claims']} = covered refunds {now['covered refunds']}",
    )
    check(
        not RefundRequest.objects.filter(covered=True, claim__isnull=True).exists()
        and not Order.objects.filter(lines__isnull=True).exists(),
        "no order without its line, no covered refund without its claim",
    )
    files = evidence_files(media_root)
    check(
        len(files) >= now["evidence rows"],
        f"evidence files {len(files)} >= rows {now['evidence rows']}",
    )
    check(
        now["payouts"] == now["paid claims"],
        f"payouts {now['payouts']} = paid claims {now['paid claims']}",
    )
    capped = now[CAPPED]
    check(
        now["payout sum"] == capped,
        f"payout sum {now['payout sum']} = sum of min(amount, cap) over paid claims {capped}",
    )
    returns_paid = Claim.objects.filter(state=ClaimState.PAID, kind="return_and_refund").count()
    check(
        now["compensations"] == returns_paid,
        f"buyer compensations {now['compensations']} = paid returns {returns_paid}",
    )
    recomputed = premiums_recomputed()
    check(
        now["premium sum"] == recomputed,
        f"premium sum {now['premium sum']} = sum(round(paid x rate)) {recomputed}",
    )
    return now


# --- scenario 1: load ---


def scenario_load(args, portal, secret, events, media_root):
    print(
        f"\n== 1. load: {args.seconds:.0f} s, {args.browsers} merchants browsing "
        f"(~{args.think:.2f} s between pages), "
        f"{args.senders} senders at a target of {args.rate:.0f} events/s in batches of {args.batch}"
    )
    tally, stats, timeline, stop = Tally(), defaultdict(list), [], threading.Event()
    before = ledger()
    pace = Pace(args.rate)
    threads = [
        Browser(f"B{i}", portal, stop, stats, timeline, seed=i, think=args.think)
        for i in range(args.browsers)
    ]
    threads += [
        Sender(f"L{i}", portal, secret, events, tally, pace, stop, args.batch)
        for i in range(args.senders)
    ]
    cpu0, started = cpu_times(), time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(args.seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=180)
    elapsed = time.monotonic() - started
    sent = sum(tally.sent.values())
    print(
        f"    events: {sent} sent in {elapsed:.1f} s = {sent / elapsed:.0f} events/s "
        f"(target {args.rate:.0f}){cpu_busy(cpu0, cpu_times())}"
    )
    print(
        f"    requests: {dict(tally.http)}; per type: "
        + "; ".join(f"{t} {dict(c)}" for t, c in sorted(tally.status.items()))
    )
    for reason, n in tally.errors.most_common(4):
        print(f"      rejected x{n}: {reason}")
    bad_pages = browse_report(stats)
    bad_events = sum(n for s, n in tally.http.items() if s == "no answer" or s >= 500)
    check(
        bad_pages == 0 and bad_events == 0,
        f"zero 5xx or unanswered: pages {bad_pages}, event batches {bad_events}",
    )
    check(
        sum(len(r) for r in stats.values()) > 0 and "login failed" not in stats,
        "merchants signed in and browsed",
    )
    reconcile(tally, media_root, before=before)


# --- scenario 2: kill -9 the web server mid-batch ---


def scenario_kill(args, portal, secret, events, media_root):
    from platform_api.models import PlatformEvent

    print(f"\n== 2. kill -9 gunicorn in the middle of a 1,000-event batch (at ~{args.kill_at:.0%})")
    batch = events.batch("K9", 250)
    ids = [e["id"] for e in batch]
    files_before = evidence_files(media_root)
    answer = {}
    poster = threading.Thread(
        target=lambda: answer.update(r=post_events(portal.base, batch, secret, timeout=300)),
        daemon=True,
    )
    poster.start()
    target, applied_at_kill, deadline = int(len(batch) * args.kill_at), 0, time.monotonic() + 240
    while time.monotonic() < deadline and poster.is_alive():
        applied_at_kill = PlatformEvent.objects.filter(event_id__startswith="K9-").count()
        if applied_at_kill >= target:
            break
        time.sleep(0.02)
    processes = portal.kill9()
    poster.join(timeout=30)
    applied_at_kill = PlatformEvent.objects.filter(event_id__startswith="K9-").count()
    status, results, error = answer.get("r", (None, None, "no answer"))
    print(
        f"    SIGKILL to {processes} processes (master + workers) with {applied_at_kill} of "
        f"{len(batch)} events applied; the client got: {error or status}"
    )
    check(results is None, "the client saw the connection fail (no answer)")
    check(not portal.group_alive(), "no gunicorn process left")
    from claims.models import Evidence, Order, Policy, RefundRequest

    rows = set(Evidence.objects.values_list("file", flat=True))
    orphans = evidence_files(media_root) - files_before - rows
    print(f"    evidence files left without a row by the kill: {len(orphans)}")
    after_kill = reconcile_partial(media_root)
    took = portal.start()
    print(f"    gunicorn restarted, answering /healthz in {took:.1f} s")
    tally = Tally()
    status, results, error = post_events(portal.base, batch, secret, timeout=300)
    tally.record(batch, status, results, error)
    counts = tally.totals()
    print(f"    resend 1: HTTP {status}: {dict(counts)}")
    check(
        counts["duplicate"] == applied_at_kill,
        f"duplicates {counts['duplicate']} = applied before the kill {applied_at_kill}",
    )
    check(
        counts["applied"] == len(batch) - applied_at_kill,
        f"applied {counts['applied']} = the rest {len(batch) - applied_at_kill}",
    )
    once = ledger()
    status, results, error = post_events(portal.base, batch, secret, timeout=300)
    again = Counter(r["status"] for r in results or [])
    print(f"    resend 2: HTTP {status}: {dict(again)}")
    check(again == Counter(duplicate=len(batch)), "the second resend is all duplicates")
    twice = ledger()
    check(once == twice, "ledger sums and counts unchanged by the second resend")
    stored = PlatformEvent.objects.filter(event_id__in=ids).count()
    check(
        stored == len(batch) == len(set(ids)),
        f"PlatformEvent rows for the batch: {stored} of {len(batch)}, each once",
    )
    k9 = {
        "orders": Order.objects.filter(platform_order_id__startswith="K9-").count(),
        "policies": Policy.objects.filter(order__platform_order_id__startswith="K9-").count(),
        "refunds": RefundRequest.objects.filter(platform_refund_id__startswith="K9-").count(),
        "evidence": Evidence.objects.filter(refund__platform_refund_id__startswith="K9-").count(),
    }
    check(
        k9 == {"orders": 250, "policies": 250, "refunds": 250, "evidence": 250},
        f"the batch's rows: {k9}",
    )
    check(
        twice["events"] - after_kill["events"] == len(batch) - applied_at_kill,
        "the resends stored only the missing events",
    )


def reconcile_partial(media_root) -> dict:
    """Right after the kill: whatever was committed is whole."""
    from claims.models import Claim, ClaimState, Order, Payout, RefundRequest

    whole = (
        not Order.objects.filter(lines__isnull=True).exists()
        and not RefundRequest.objects.filter(covered=True, claim__isnull=True).exists()
        and Payout.objects.count() == Claim.objects.filter(state=ClaimState.PAID).count()
    )
    check(
        whole,
        "after the kill: no order without lines, no covered refund without claim, "
        "no paid claim without payout",
    )
    return ledger()


# --- scenario 3: PostgreSQL restarts under load ---


def pg_cluster(args) -> list[str]:
    if args.pg_cluster:
        return args.pg_cluster.split()
    lines = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout.split(
        "\n"
    )
    version, name = lines[0].split()[:2]
    return [version, name]


def pg_ready() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0


def pg_ensure_up(cluster) -> None:
    """However the run ends, PostgreSQL is left running."""
    if pg_ready():
        return
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, "start"], timeout=120)
    for _ in range(120):
        if pg_ready():
            return
        time.sleep(0.5)


class PgProbe(threading.Thread):
    """A new connection and SELECT 1 every 50 ms: when PostgreSQL really refused and answered."""

    def __init__(self, database_url, stop):
        super().__init__(name="pg-probe", daemon=True)
        self.url, self.stop, self.samples = admin_url(database_url, db_name(database_url)), stop, []

    def run(self):
        import psycopg

        while not self.stop.is_set():
            started = time.monotonic()
            try:
                with psycopg.connect(self.url, connect_timeout=1) as conn:
                    conn.execute("SELECT 1")
                ok = True
            except psycopg.Error:
                ok = False
            self.samples.append((started, ok))
            self.stop.wait(0.05)

    def down_window(self):
        """(first refused, first answered after the last refusal) or None."""
        failed = [t for t, ok in self.samples if not ok]
        if not failed:
            return None
        back = [t for t, ok in self.samples if ok and t > failed[-1]]
        return failed[0], back[0] if back else None


def wait_for_quiet(database_url: str, limit: float) -> tuple[float, int]:
    """The restart cuts everyone's sessions (other engineers' test runs on this machine):
    wait, at most `limit` s, for a moment when no other database has a client session."""
    import psycopg

    started, others = time.monotonic(), -1
    while time.monotonic() - started < limit:
        with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
            others = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                "AND datname IS NOT NULL AND datname NOT IN (%s, 'postgres')",
                [db_name(database_url)],
            ).fetchone()[0]
        if others == 0:
            break
        time.sleep(1)
    return time.monotonic() - started, others


def pg_fault(args, cluster, database_url) -> tuple[float, float]:
    """(start, end) monotonic of the fault."""
    started = time.monotonic()
    if args.pg_fault == "restart":
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", "-m", "fast", *cluster, "restart"],
            check=True,
            timeout=120,
        )
        for _ in range(240):
            if pg_ready():
                break
            time.sleep(0.25)
    else:
        import psycopg

        with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [db_name(database_url)],
            )
    return started, time.monotonic()


def scenario_pg(args, portal, secret, events, media_root, cluster):
    what = (
        "restart of the PostgreSQL cluster"
        if args.pg_fault == "restart"
        else "termination of every session of this database"
    )
    print(
        f"\n== 3. {what} during load ({args.pg_seconds:.0f} s, at t=6 s); "
        f"DATABASE_URL {'with' if args.conn_health_checks else 'without'} conn_health_checks"
    )
    tally, stats, timeline, stop = Tally(), defaultdict(list), [], threading.Event()
    close_db()
    before = ledger()
    close_db()
    pace = Pace(min(args.rate, 200))
    threads = [
        Browser(f"P{i}", portal, stop, stats, timeline, seed=10 + i, think=args.think)
        for i in range(args.browsers)
    ]
    threads += [
        Sender(f"G{i}", portal, secret, events, tally, pace, stop, args.batch, retry=True)
        for i in range(1)
    ]
    probe = PgProbe(args.database_url, stop)
    threads.append(probe)
    t0 = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(6)
    if args.pg_fault == "restart":
        waited, others = wait_for_quiet(args.database_url, limit=90)
        print(
            f"    waited {waited:.0f} s for other databases' sessions to end "
            f"({others} still connected)"
        )
    fault_start, fault_end = pg_fault(args, cluster, args.database_url)
    print(
        f"    the fault took {fault_end - fault_start:.1f} s "
        f"(t={fault_start - t0:.1f} to {fault_end - t0:.1f} s)"
    )
    time.sleep(
        max(12.0 - (time.monotonic() - fault_end), args.pg_seconds - (time.monotonic() - t0))
    )
    stop.set()
    for thread in threads:
        thread.join(timeout=180)
    close_db()
    events_timeline = [(t, ok, "events") for t, ok, _ in tally.timeline]
    all_requests = sorted(timeline + events_timeline)  # (start, ok, what)
    window = probe.down_window()
    if window and window[1]:
        down, back = window
        print(
            f"    PostgreSQL refused new connections from t={down - t0:.2f} s to "
            f"t={back - t0:.2f} s ({back - down:.2f} s; probe every 50 ms)"
        )
    else:
        down, back = fault_start, fault_end
        print("    the probe saw no refused connection (sessions terminated only)")
    print("    timeline (per second of request start: ok/failed, pages and event batches):")
    buckets = defaultdict(lambda: [0, 0])
    for t, ok, _ in all_requests:
        buckets[int(t - t0)][0 if ok else 1] += 1
    print("      " + " ".join(f"{s}s:{o}/{f}" for s, (o, f) in sorted(buckets.items())))
    failures = [t for t, ok, _ in all_requests if not ok]
    stale = [t for t in failures if t >= back]
    print(
        f"    failed requests: {len(failures)}, of which {len(failures) - len(stale)} started "
        f"while PostgreSQL was down or going down and {len(stale)} after it answered again"
        + (f" (the last at +{stale[-1] - back:.2f} s)" if stale else "")
    )
    tail = [ok for t, ok, _ in all_requests if t > back + 3]
    check(
        bool(tail) and all(tail),
        f"recovered by itself: all {len(tail)} requests started from 3 s after PostgreSQL "
        "answered again succeeded (no gunicorn restart)",
    )
    browse_report(stats)
    print(f"    event batches: {dict(tally.http)}; events to send again: {len(tally.retry)}")
    for attempt in range(1, 6):
        pending, tally.retry = tally.retry, []
        if not pending:
            break
        for start in range(0, len(pending), 500):
            chunk = pending[start : start + 500]
            status, results, error = post_events(portal.base, chunk, secret)
            tally.record(chunk, status, results, error, retry_failures=True)
        print(
            f"    resend round {attempt}: {len(pending)} events, {len(tally.retry)} still to send"
        )
    check(not tally.retry, "every failed event was applied on a resend")
    # The failed requests' events were counted once answered; rejections "retry later" were
    # counted as rejected, then again when resent: reconcile on what is stored.
    reconcile_pg(tally, before)


def reconcile_pg(tally, before):
    """A request cut by the fault may have applied some events unseen: they come back as
    duplicates on the resend. So: every valid event sent is stored, exactly once."""
    from platform_api.models import PlatformEvent

    now = ledger()
    valid = {i for i in tally.attempted_ids if not re.search(r"-X[12]/", i)}
    stored = set(
        PlatformEvent.objects.filter(event_id__in=valid).values_list("event_id", flat=True)
    )
    check(stored == valid, f"every valid event sent is stored: {len(stored)} of {len(valid)}")
    grown = now["events"] - before["events"]
    check(
        grown == len(valid),
        f"PlatformEvent rows +{grown} = distinct valid events sent {len(valid)}",
    )
    check(
        now["orders"] == now["lines"]
        and now["payouts"] == now["paid claims"]
        and now["claims"] == now["covered refunds"],
        "tables consistent after the fault",
    )
    check(
        now["payout sum"] == now["paid claims' min(amount, cap)"],
        f"payout sum {now['payout sum']} = sum of min(amount, cap)",
    )


# --- scenario 4: SIGKILL the deadline sweep ---


def build_due_claims(events: Events, n: int) -> dict:
    """n due items in three kinds: returns with no tracking number (R33), shipped returns the
    merchant never confirmed (R38), reviews past 24 h (R32)."""
    from claims.simulator import event, iso
    from platform_api.ingest import apply_events

    third = n // 3
    batch, shipped = [], []
    for i in range(n):
        kind = ("timeout", "receipt", "review")[i % 3]
        tier = 1 if kind == "review" else 5  # 5: fast-tracked to awaiting the return (R39)
        evs = events.order(
            f"SW-{kind}-{i:05d}",
            days_ago=40,
            tier=tier,
            kind="return_and_refund",
            reason="quality_issue",
            price=99,
        )
        batch += evs
        if kind == "receipt":
            refund = evs[3]["data"]
            at = dt.datetime.fromisoformat(refund["requested_at"]) + dt.timedelta(days=1)
            shipped.append(
                event(
                    refund["refund_id"],
                    "refund.return_shipped",
                    at,
                    {
                        "refund_id": refund["refund_id"],
                        "carrier": "顺丰",
                        "tracking_number": f"SF{i}",
                        "shipped_at": iso(at),
                    },
                )
            )
    counts = Counter()
    for start in range(0, len(batch), 1000):
        counts.update(r.status for r in apply_events(batch[start : start + 1000]))
    for start in range(0, len(shipped), 1000):
        counts.update(r.status for r in apply_events(shipped[start : start + 1000]))
    del third
    return counts


def claim_picture() -> dict:
    from django.db.models import Count, Sum
    from django_fsm_log.models import StateLog

    from claims.models import BuyerCompensation, Claim, Payout, ServiceBreach

    return {
        "states": dict(Claim.objects.values_list("pk", "state")),
        "overdue flags": Claim.objects.filter(review_overdue=True).count(),
        "payouts": (Payout.objects.count(), Payout.objects.aggregate(s=Sum("amount"))["s"]),
        "compensations": (
            BuyerCompensation.objects.count(),
            BuyerCompensation.objects.aggregate(s=Sum("amount"))["s"],
        ),
        "breaches": (
            ServiceBreach.objects.count(),
            ServiceBreach.objects.aggregate(s=Sum("points"))["s"],
        ),
        "audit rows": dict(StateLog.objects.values_list("transition").annotate(n=Count("id"))),
    }


def run_sweep(env, database_url) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "sweep_deadlines"],
        cwd=ROOT,
        env={**os.environ, **env, "DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def with_database(database_url: str):
    """Point this process's Django at another database (closing the current connections)."""
    from django.db import connections

    close_db()
    settings_dict = connections["default"].settings_dict
    settings_dict["NAME"] = db_name(database_url)


def due_count() -> int:
    """Claims the sweep will settle (returns past their deadline), as of now."""
    from django.db.models import Q
    from django.utils import timezone

    from claims.models import Claim, ClaimState

    now = timezone.now()
    return Claim.objects.filter(
        Q(state=ClaimState.AWAITING_RETURN, return_due_at__lt=now)
        | Q(state=ClaimState.RETURN_SHIPPED, receipt_due_at__lt=now)
    ).count()


def scenario_sweep(args, env, events):
    from django.utils import timezone

    from claims.models import Claim, ClaimState

    print("\n== 4. SIGKILL manage.py sweep_deadlines at 60% of the due claims, rerun it")
    copy_url = args.database_url + "_sweep_copy"
    started = time.monotonic()
    counts = build_due_claims(events, args.due)
    now = timezone.now()
    due = {
        "returns with no tracking number": Claim.objects.filter(
            state=ClaimState.AWAITING_RETURN, return_due_at__lt=now
        ).count(),
        "returns never confirmed": Claim.objects.filter(
            state=ClaimState.RETURN_SHIPPED, receipt_due_at__lt=now
        ).count(),
        "reviews past 24 h": Claim.objects.filter(
            state=ClaimState.SUBMITTED, review_due_at__lt=now, review_overdue=False
        ).count(),
    }
    print(f"    built in {time.monotonic() - started:.0f} s (events {dict(counts)}): {due}")
    close_db()
    recreate_database(copy_url, template=db_name(args.database_url))
    try:
        clean = run_sweep(env, copy_url)
        out, _ = clean.communicate(timeout=600)
        print(
            f"    clean sweep on a copy: {out.strip().splitlines()[-1] if out.strip() else out!r}"
        )
        with_database(copy_url)
        reference = claim_picture()
        with_database(args.database_url)

        total_due = due_count()
        proc = run_sweep(env, args.database_url)
        killed_at, deadline = None, time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            settled = total_due - due_count()
            if settled >= total_due * 0.6:
                proc.send_signal(signal.SIGKILL)
                killed_at = settled
                break
            time.sleep(0.05)
        proc.wait(timeout=30)
        done = total_due - due_count()
        print(
            f"    SIGKILL after {killed_at} of {total_due} claims settled "
            f"(exit {proc.returncode}); "
            f"{done} settled and committed"
        )
        check(
            killed_at is not None and proc.returncode == -signal.SIGKILL and done < total_due,
            "the sweep was killed half-way",
        )
        partial = claim_picture()
        check(
            partial["payouts"][0] == sum(1 for s in partial["states"].values() if s == "paid"),
            "after the kill: every paid claim has its payout",
        )
        rerun = run_sweep(env, args.database_url)
        out, _ = rerun.communicate(timeout=600)
        print(f"    rerun: {out.strip().splitlines()[-1] if out.strip() else out!r}")
        final = claim_picture()
        same_states = final["states"] == reference["states"]
        diff = sum(1 for pk, s in final["states"].items() if reference["states"].get(pk) != s)
        check(
            same_states,
            f"claim states equal the clean sweep's ({len(final['states'])} claims, {diff} differ)",
        )
        for key in ("overdue flags", "payouts", "compensations", "breaches", "audit rows"):
            check(final[key] == reference[key], f"{key}: {final[key]} = clean {reference[key]}")
    finally:
        close_db()
        drop_database(copy_url)


# --- machine ---


def cpu_times():
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(fields) - fields[3] - fields[4], sum(fields)


def cpu_busy(before, after) -> str:
    if not before or not after or after[1] == before[1]:
        return ""
    busy = 100 * (after[0] - before[0]) / (after[1] - before[1])
    return f"; CPU {busy:.0f}% busy over {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def main() -> int:
    args = parse_args()
    only = set(args.only.split(","))
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    media = tempfile.mkdtemp(prefix="warranty-reliability-")
    env = production_env(args.database_url, media, args.conn_health_checks)
    cluster = pg_cluster(args) if "pg" in only else None
    print(
        f"reliability run {dt.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}; database {db_name(args.database_url)} (dropped and "
        f"created), media {media}"
    )
    recreate_database(args.database_url)
    setup_django(env)
    enroll_shop()
    events = Events()
    portal = Portal(env, args.workers, Path(media) / "gunicorn.log")
    secret = env["PLATFORM_WEBHOOK_SECRET"]
    try:
        portal.start()
        print(f"gunicorn --workers {args.workers} on {portal.base} (log {portal.log})")
        if "load" in only:
            scenario_load(args, portal, secret, events, media)
        if "kill" in only:
            scenario_kill(args, portal, secret, events, media)
        if "pg" in only:
            scenario_pg(args, portal, secret, events, media, cluster)
        portal.stop()
        if "sweep" in only:
            scenario_sweep(args, env, events)
    finally:
        portal.stop()
        if cluster:
            pg_ensure_up(cluster)
        close_db()
    print(f"\n{'all checks passed' if not PROBLEMS else f'{len(PROBLEMS)} checks failed:'}")
    for problem in PROBLEMS:
        print(f"  - {problem}")
    shutil.rmtree(Path(media) / "evidence", ignore_errors=True)
    return 1 if PROBLEMS else 0


if __name__ == "__main__":
    sys.exit(main())
