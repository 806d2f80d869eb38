"""Page latency at scale through the production server over real HTTP (issue 6).

Needs the dataset of bench/dataset.py (default database `warranty_scale`; it is only read,
except for the deadline sweep, which runs on a throw-away copy). Starts gunicorn in
production mode, signs in as the big shop's merchant and as a claim reviewer through the
real login form, and measures each page with several concurrent clients (threads with their
own sessions), beside a floor (`/healthz` on the same server). Prints p50/p95 per page, the
ratio to the floor's p95 and the SQL queries per page (counted in-process with Django's test
Client and CaptureQueriesContext against the same database). Then memory (peak RSS of the
workers, RSS growth while streaming the big shop's CSV export) and the deadline sweep with
nothing due and with 10,000 items due (bench/sweep.py, on a copy of the database).

    .venv/bin/python bench/pages.py [--clients 4] [--requests 80] [--no-sweep]
    .venv/bin/python bench/pages.py --floor --rounds 5 --requests 40 --no-sweep --csv-runs 0

With --floor, a minimal Django page (bench/floor, built by bench/floor/build.py) is served by
its own gunicorn and measured interleaved with the pages (floor, page A, floor, page B, ...)
in several rounds; the ratios are then to the floor's p50 of the same round (issue 10).

See bench/README.md.
"""

import argparse
import contextlib
import http.client
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from floor.serve import CHECK as FLOOR_CHECK  # noqa: E402
from floor.serve import DEFAULT_URL as FLOOR_URL  # noqa: E402
from floor.serve import PATH as FLOOR_PATH  # noqa: E402
from floor.serve import start_floor  # noqa: E402
from ingest import cpu_busy, cpu_times, free_port, stop_gunicorn, wait_ready  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/warranty_scale"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/3"  # production's CACHE_URL, its own database
PASSWORD = "bench-scale-2026"
MERCHANT = "shop001@scale.example"  # the big shop (40% of everything)
REVIEWER = "bench-reviewer"
BIG_SHOP = 1
PER_PAGE = 50
TARGET_P95_MS = 100.0
POLICY_STATUSES = (
    "awaiting_receipt",
    "in_coverage",
    "expired",
    "claim_in_progress",
    "claim_paid",
    "claim_closed",
)
TARGET_RATIO = 5.0
TARGET_QUERIES = 15
TARGET_CSV_GROWTH_MB = 50.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--requests", type=int, default=80, help="timed requests per page")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--csv-runs", type=int, default=2, help="full downloads of the CSV")
    parser.add_argument("--only", help="page names to measure, separated by ;")
    parser.add_argument(
        "--cache-url",
        default=DEFAULT_CACHE_URL,
        help="the portal's CACHE_URL (sessions, login throttling); '' for local memory",
    )
    parser.add_argument("--no-sweep", action="store_true", help="skip the deadline sweep")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also start bench/floor (a minimal Django page, built by bench/floor/build.py) "
        "on another port and measure it interleaved with the pages, in --rounds rounds; "
        "ratios are then to its p50",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds with --floor")
    parser.add_argument("--floor-database-url", default=FLOOR_URL)
    parser.add_argument("--profile", help="cProfile one page in-process (its name) and exit")
    parser.add_argument(
        "--split",
        action="store_true",
        help="print each page's in-process time, SQL vs the rest (medians of 30) and exit",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN (ANALYZE, BUFFERS) of each page's queries and exit",
    )
    parser.add_argument(
        "--show-sql",
        action="store_true",
        help="print each page's slowest queries (in-process) and exit",
    )
    return parser.parse_args()


# --- environment and server ---


def bench_env(
    database_url: str, media_root: str, static_root: str, cache_url: str = DEFAULT_CACHE_URL
) -> dict:
    """Production mode (README "Production"), plain HTTP so that the client can sign in;
    the shared cache of production (Redis: sessions, login throttling) unless cache_url is
    empty (then each worker's local memory, and sessions in the database only)."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{BENCH}",
        "BENCH_STATIC_ROOT": static_root,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "PLATFORM_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DATABASE_URL": f"{database_url}?conn_max_age=600",
        "MEDIA_ROOT": media_root,
        "LOG_LEVEL": "WARNING",
        # The big shop's CSV is streamed by the web worker here (its memory is measured);
        # bench/export.py measures the background path that the default threshold takes.
        "CSV_EXPORT_BACKGROUND_ROWS": str(10**9),
        "CACHE_URL": cache_url or "locmemcache://",
    }


def collectstatic(env: dict) -> None:
    subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )


def start_gunicorn(env: dict, port: int, workers: int, log: Path) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "portal.wsgi",
        "-w",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "300",
    ]
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )


def worker_pids(master: int) -> list[int]:
    path = Path(f"/proc/{master}/task/{master}/children")
    return [int(p) for p in path.read_text().split()]


def proc_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


# --- an HTTP client with its own cookies (one per thread) ---


@dataclass
class Response:
    status: int
    body: bytes
    ttfb: float  # seconds to the response headers
    seconds: float  # to the last byte
    size: int
    location: str = ""


@dataclass
class Session:
    host: str
    port: int
    cookies: dict = field(default_factory=dict)

    def request(self, method, path, body=None, headers=None, keep_body=True) -> Response:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
        start = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        ttfb = time.perf_counter() - start
        chunks, size = [], 0
        while True:
            chunk = response.read(65536)
            if not chunk:
                break
            size += len(chunk)
            if keep_body:
                chunks.append(chunk)
        seconds = time.perf_counter() - start
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        conn.close()
        return Response(
            response.status,
            b"".join(chunks),
            ttfb,
            seconds,
            size,
            response.getheader("Location") or "",
        )

    def login(self, username: str, password: str) -> None:
        """The real login form: GET for the CSRF cookie and token, then POST."""
        page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        if page.status != 200 or not token:
            raise RuntimeError(f"login page: {page.status}")
        body = urllib.parse.urlencode(
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1).decode(),
            }
        )
        done = self.request(
            "POST",
            "/accounts/login/",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if done.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login as {username} failed: {done.status}")


# --- what is measured ---


@dataclass
class Page:
    name: str
    who: str  # "merchant", "reviewer" or "anonymous"
    paths: list[str]  # requests rotate over these
    check: bytes = b""  # must appear in the body (proves the page is the real one)


def pages_to_measure(database_url: str) -> list[Page]:
    """URLs of real objects of the big shop, read from the database."""
    import psycopg

    with psycopg.connect(database_url) as conn:

        def rows(sql, *params):
            return conn.execute(sql, params).fetchall()

        # page 2,000 = rows 99,951..100,000: the cursor is the (issued_at, id) of row 99,950
        issued_at, pk = rows(
            "SELECT issued_at, id FROM claims_policy WHERE shop_id = %s "
            "ORDER BY issued_at DESC, id DESC OFFSET %s LIMIT 1",
            BIG_SHOP,
            1999 * PER_PAGE - 1,
        )[0]
        cursor = f"{issued_at.timestamp():.6f}_{pk}"
        orders = [
            r[0]
            for r in rows(
                "SELECT platform_order_id FROM claims_order WHERE shop_id = %s "
                "AND id %% 997 = 1 ORDER BY id LIMIT 40",
                BIG_SHOP,
            )
        ]
        claimed_orders = [
            r[0]
            for r in rows(
                "SELECT o.platform_order_id FROM claims_claim c JOIN claims_policy p "
                "ON p.id = c.policy_id JOIN claims_order o ON o.id = p.order_id "
                "WHERE c.id %% 89 = 7 ORDER BY c.id LIMIT 20"
            )
        ]
        policies = [
            r[0]
            for r in rows(
                "SELECT id FROM claims_policy WHERE shop_id = %s AND id %% 991 = 3 "
                "ORDER BY id LIMIT 40",
                BIG_SHOP,
            )
        ]
        claims = [
            r[0]
            for r in rows(
                "SELECT id FROM claims_claim WHERE shop_id = %s AND id %% 97 = 5 "
                "ORDER BY id LIMIT 40",
                BIG_SHOP,
            )
        ]
    return [
        Page("floor: /healthz", "anonymous", ["/healthz"], b'"ok"'),
        Page("merchant dashboard", "merchant", ["/dashboard/"], b"<svg"),
        Page("policy list, page 1", "merchant", ["/policies/"], b'rel="next"'),
        Page(
            "policy list, page 2,000",
            "merchant",
            [f"/policies/?after={urllib.parse.quote(cursor)}"],
            b'rel="next"',
        ),
        Page("search by order id", "merchant", [f"/policies/?q={o}" for o in orders], b"WP"),
        Page("policy detail", "merchant", [f"/policies/{p}/" for p in policies], b"WP"),
        Page("refunds, 质保卡 only", "merchant", ["/refunds/?business=warranty"], b'rel="next"'),
        Page("claim detail", "merchant", [f"/claims/{c}/" for c in claims], b"R0"),
        Page("invoice records", "merchant", ["/invoices/"], b"<table"),
        *[
            Page(f"policies ?status={s}", "merchant", [f"/policies/?status={s}"], b"<table")
            for s in POLICY_STATUSES
        ],
        Page("refunds, all", "merchant", ["/refunds/"], b'rel="next"'),
        Page("refunds, to confirm", "merchant", ["/refunds/?due=needs_action"], b"<h1"),
        Page("refunds, merchant-handled", "merchant", ["/refunds/?business=merchant"], b"<table"),
        Page("payouts", "merchant", ["/payouts/"], b"<table"),
        Page("admin claim queue", "reviewer", ["/admin/claims/claim/"], b"result_list"),
        Page(
            "admin queue: submitted+overdue",
            "reviewer",
            ["/admin/claims/claim/?state__exact=submitted&overdue=yes"],
            b"result_list",
        ),
        Page(
            "admin queue: big shop+reason",
            "reviewer",
            [f"/admin/claims/claim/?shop__id__exact={BIG_SHOP}&reason=quality_issue"],
            b"result_list",
        ),
        Page(
            "admin queue: search order id",
            "reviewer",
            [f"/admin/claims/claim/?q={o}" for o in claimed_orders],
            b"result_list",
        ),
    ]


CSV_PATH = "/policies/export.csv"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def measure(page: Page, sessions: list[Session], requests: int) -> list[float]:
    """`requests` timed requests from len(sessions) threads at once (after one warm-up each)."""
    per_client = max(1, requests // len(sessions))
    samples: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(sessions))

    def client(index: int, session: Session):
        try:
            warm = session.request("GET", page.paths[index % len(page.paths)])
            if warm.status != 200 or page.check not in warm.body:
                failures.append(f"{page.paths[0]}: {warm.status} {warm.body[:200]!r}")
                return
        finally:
            barrier.wait()
        mine = []
        for n in range(per_client):
            path = page.paths[(index * per_client + n) % len(page.paths)]
            response = session.request("GET", path)
            if response.status != 200:
                failures.append(f"{path}: {response.status}")
                return
            mine.append(response.seconds * 1000)
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client, args=(i, s)) for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{page.name}: {failures[0]}")
    return samples


# --- the floor (bench/floor), interleaved with the pages ---

FLOOR_NAME = "FLOOR: Django page, 25 of 1M rows"


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def measure_interleaved(
    pages: list[Page], sessions: dict, requests: int, rounds: int
) -> tuple[list[dict], list[float]]:
    """Round-robin, `rounds` times: floor, page A, floor, page B, ... (same clients, requests).

    Returns each round's samples by name (the floor's pooled over the round) and the 1-minute
    load average read from /proc/loadavg after every block."""
    floor = Page(FLOOR_NAME, "floor", [FLOOR_PATH], FLOOR_CHECK)
    per_round, loads = [], [float(loadavg().split()[0])]
    for number in range(1, rounds + 1):
        samples = {FLOOR_NAME: []}
        for page in pages:
            before = cpu_times()
            floor_block = measure(floor, sessions["floor"], requests)
            samples[FLOOR_NAME].extend(floor_block)
            samples[page.name] = measure(page, sessions[page.who], requests)
            loads.append(float(loadavg().split()[0]))
            floor_p50 = statistics.median(floor_block)
            p50 = statistics.median(samples[page.name])
            print(
                f"  round {number} {page.name:<34} p50 {p50:7.1f} ms  "
                f"p95 {percentile(samples[page.name], 0.95):7.1f} ms  floor before it p50 "
                f"{floor_p50:5.1f} ms ({p50 / floor_p50:5.1f}x){cpu_busy(before, cpu_times())}",
                flush=True,
            )
        per_round.append(samples)
    return per_round, loads


def report_interleaved(pages: list[Page], per_round: list[dict], loads: list[float], queries):
    """Medians over the rounds of each page's p50, p95 and their ratios to the floor's p50
    of the same round."""
    floor_p50 = [statistics.median(r[FLOOR_NAME]) for r in per_round]
    floor_p95 = [percentile(r[FLOOR_NAME], 0.95) for r in per_round]
    print(
        f"{'page':<34} {'p50 ms':>8} {'p95 ms':>8} {'p50/fl':>7} {'p95/fl':>7} {'queries':>8}  "
        f"{'in-proc ms':>10}  targets (p95<{TARGET_P95_MS:.0f} ms, p95 <={TARGET_RATIO:.0f}x "
        f"floor p50, <={TARGET_QUERIES} queries)"
    )
    floor_r95 = statistics.median(b / a for a, b in zip(floor_p50, floor_p95, strict=True))
    print(
        f"{FLOOR_NAME:<34} {statistics.median(floor_p50):8.1f} "
        f"{statistics.median(floor_p95):8.1f} {1.0:7.1f} {floor_r95:7.1f} "
        f"{'1':>8}  {'(build.py)':>10}"
    )
    for page in pages:
        p50s = [statistics.median(r[page.name]) for r in per_round]
        p95s = [percentile(r[page.name], 0.95) for r in per_round]
        r50 = statistics.median(a / f for a, f in zip(p50s, floor_p50, strict=True))
        r95 = statistics.median(a / f for a, f in zip(p95s, floor_p50, strict=True))
        p95 = statistics.median(p95s)
        n, ms, _q = queries[page.name]
        missed = []
        if page is not pages[0]:
            if p95 >= TARGET_P95_MS:
                missed.append("p95")
            if r95 > TARGET_RATIO:
                missed.append("ratio")
            if n > TARGET_QUERIES:
                missed.append("queries")
        verdict = "MISSED: " + ", ".join(missed) if missed else "met"
        print(
            f"{page.name:<34} {statistics.median(p50s):8.1f} {p95:8.1f} {r50:7.1f} {r95:7.1f} "
            f"{n:8d}  {ms:10.1f}  {verdict}"
        )
    print(
        f"medians of {len(per_round)} rounds; ratios = page / floor p50 of the same round. "
        "Floor p50 by round: "
        + ", ".join(f"{v:.1f}" for v in floor_p50)
        + " ms; p95: "
        + ", ".join(f"{v:.1f}" for v in floor_p95)
        + " ms"
    )
    print(
        f"load average (1 min) during the run: min {min(loads):.2f}, median "
        f"{statistics.median(loads):.2f}, max {max(loads):.2f} on {os.cpu_count()} cores "
        f"(/proc/loadavg at the end: {loadavg()})"
    )


def report_sequential(pages: list[Page], results: dict, queries, load_before, floor_again):
    """Without --floor: each page once, ratios of p95 to /healthz's p95 (issue 6)."""
    floor = percentile(results[pages[0].name], 0.95)
    print(
        f"load average (1 min) before the pages {load_before:.2f}, after {os.getloadavg()[0]:.2f} "
        "(above ~0.5 other work shared the 2 cores: figures are pessimistic)"
    )
    print()
    print(
        f"{'page':<34} {'p50 ms':>8} {'p95 ms':>8} {'x floor':>8} {'queries':>8}  "
        f"{'in-proc ms':>10}  targets (p95<{TARGET_P95_MS:.0f} ms, <={TARGET_RATIO:.0f}x "
        f"floor, <={TARGET_QUERIES} queries)"
    )
    for page in pages:
        samples = results[page.name]
        p50, p95 = statistics.median(samples), percentile(samples, 0.95)
        n, ms, _q = queries[page.name]
        ratio = p95 / floor
        missed = []
        if page is not pages[0]:
            if p95 >= TARGET_P95_MS:
                missed.append("p95")
            if ratio > TARGET_RATIO:
                missed.append("ratio")
            if n > TARGET_QUERIES:
                missed.append("queries")
        verdict = "MISSED: " + ", ".join(missed) if missed else "met"
        print(f"{page.name:<34} {p50:8.1f} {p95:8.1f} {ratio:8.1f} {n:8d}  {ms:10.1f}  {verdict}")
    print(
        f"floor again at the end: p50 {statistics.median(floor_again):.1f} ms, "
        f"p95 {percentile(floor_again, 0.95):.1f} ms"
    )


def csv_download(session: Session, master: int) -> dict:
    """One full download of the big shop's policies, sampling the workers' RSS meanwhile."""
    pids = worker_pids(master)
    before = {pid: proc_kb(pid, "VmRSS") for pid in pids}
    peak = dict(before)
    done = threading.Event()

    def sample():
        while not done.is_set():
            for pid in pids:
                with contextlib.suppress(OSError, KeyError):  # a worker restarted
                    peak[pid] = max(peak[pid], proc_kb(pid, "VmRSS"))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        response = session.request("GET", CSV_PATH, keep_body=False)
    finally:
        done.set()
        sampler.join()
    if response.status != 200:
        raise RuntimeError(f"CSV export: {response.status}")
    growth = max(peak[pid] - before[pid] for pid in pids)
    return {
        "ttfb_ms": response.ttfb * 1000,
        "seconds": response.seconds,
        "mb": response.size / 1e6,
        "growth_mb": growth / 1024,
        "rss_before_mb": {pid: kb / 1024 for pid, kb in before.items()},
        "rss_peak_mb": {pid: kb / 1024 for pid, kb in peak.items()},
    }


# --- in-process: SQL queries per page ---


def setup_django(env: dict) -> None:
    os.environ.update(env)
    import django

    django.setup()


def queries_per_page(pages: list[Page], csv: bool = True) -> dict[str, tuple[int, float, list]]:
    """(queries, ms) of each page's second request through the test Client (warm caches).

    The test Client runs the same middleware, views and templates as gunicorn, against the
    same database; CaptureQueriesContext counts every query (DEBUG stays off)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    users = get_user_model().objects
    clients = {"anonymous": Client(HTTP_HOST="127.0.0.1")}
    for who, login in (("merchant", MERCHANT), ("reviewer", REVIEWER)):
        clients[who] = Client(HTTP_HOST="127.0.0.1")
        clients[who].force_login(users.get(username=login))
    counts = {}
    csv_page = [Page("CSV export (400,000 policies)", "merchant", [CSV_PATH])] if csv else []
    for page in [*pages, *csv_page]:
        client = clients[page.who]
        path = page.paths[-1]
        for attempt in range(2):
            start = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
                if response.streaming:
                    for _chunk in response.streaming_content:
                        pass
            ms = (time.perf_counter() - start) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"in-process {path}: {response.status_code}")
            if attempt == 1:
                counts[page.name] = (len(captured.captured_queries), ms, captured.captured_queries)
    return counts


def profile_page(pages: list[Page], name: str) -> None:
    import cProfile
    import pstats

    from django.contrib.auth import get_user_model
    from django.test import Client

    page = next(p for p in pages if p.name == name)
    client = Client(HTTP_HOST="127.0.0.1")
    if page.who != "anonymous":
        login = MERCHANT if page.who == "merchant" else REVIEWER
        client.force_login(get_user_model().objects.get(username=login))
    client.get(page.paths[0])
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(20):
        client.get(page.paths[i % len(page.paths)])
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


def split_pages(pages: list[Page], runs: int = 30) -> None:
    """In-process, per page: median wall time of a request, of its SQL (as the database
    driver returned it) and the rest (views, forms, templates, middleware), over `runs`."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    sql_seconds = []

    def timed(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_seconds.append(time.perf_counter() - start)

    users = get_user_model().objects
    print(f"{'page':<36} {'total ms':>9} {'SQL ms':>8} {'rest ms':>8}  queries")
    for page in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        if page.who != "anonymous":
            login = MERCHANT if page.who == "merchant" else REVIEWER
            client.force_login(users.get(username=login))
        totals, sqls, n = [], [], 0
        for i in range(runs + 2):
            path = page.paths[i % len(page.paths)]
            sql_seconds.clear()
            start = time.perf_counter()
            with connection.execute_wrapper(timed):
                client.get(path)
            if i >= 2:
                totals.append((time.perf_counter() - start) * 1000)
                sqls.append(sum(sql_seconds) * 1000)
                n = len(sql_seconds)
        total, sql = statistics.median(totals), statistics.median(sqls)
        print(f"{page.name:<36} {total:9.1f} {sql:8.1f} {total - sql:8.1f}  {n}", flush=True)


def explain_pages(pages: list[Page]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every query of each page's first URL (read-only)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    users = get_user_model().objects
    for page in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        if page.who != "anonymous":
            login = MERCHANT if page.who == "merchant" else REVIEWER
            client.force_login(users.get(username=login))
        client.get(page.paths[0])
        with CaptureQueriesContext(connection) as captured:
            client.get(page.paths[0])
        print(f"===== {page.name}: {page.paths[0]}")
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = [row[0] for row in cursor.fetchall()]
            print(f"--- {float(query['time']) * 1000:.1f} ms  {sql[:300]}")
            print("\n".join("    " + line for line in plan))


# --- main ---


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    tmp = tempfile.mkdtemp(prefix="warranty-pages-")
    static_root = str(Path(tmp) / "static")
    env = bench_env(args.database_url, str(Path(tmp) / "media"), static_root, args.cache_url)
    pages = pages_to_measure(args.database_url)
    if args.only:
        wanted = {n.strip() for n in args.only.split(";")}
        pages = [p for p in pages if p.name in wanted or p.name.startswith("floor")]
    setup_django(env)
    collectstatic(env)
    if args.profile:
        profile_page(pages, args.profile)
        return 0
    if args.split:
        split_pages([p for p in pages if not p.name.startswith("floor")])
        return 0
    if args.explain:
        explain_pages([p for p in pages if not p.name.startswith("floor")])
        return 0
    print(f"database {args.database_url}; gunicorn log and static files in {tmp}")
    started = time.perf_counter()
    queries = queries_per_page(pages, csv=not args.only or "CSV" in args.only)
    print(f"queries counted in-process ({time.perf_counter() - started:.1f} s)")
    if args.show_sql:
        for name, (n, ms, captured) in queries.items():
            print(f"--- {name}: {n} queries, {ms:.1f} ms in-process; slowest:")
            for q in sorted(captured, key=lambda q: -float(q["time"]))[:3]:
                print(f"    {float(q['time']) * 1000:8.1f} ms  {q['sql'][:600]}")
        return 0
    from django.db import connections

    connections.close_all()  # the sweep copies the database: no session may stay on it

    port = free_port()
    proc = start_gunicorn(env, port, args.workers, Path(tmp) / "gunicorn.log")
    floor_proc = None
    results = {}
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, proc)
        if args.floor:
            floor_port = free_port()
            log = Path(tmp) / "floor-gunicorn.log"
            floor_proc = start_floor(floor_port, args.workers, log, args.floor_database_url)
            wait_ready(f"http://127.0.0.1:{floor_port}", floor_proc)
        sessions = {}
        for who, login in (("merchant", MERCHANT), ("reviewer", REVIEWER)):
            sessions[who] = []
            for _ in range(args.clients):
                session = Session("127.0.0.1", port)
                session.login(login, PASSWORD)
                sessions[who].append(session)
        sessions["anonymous"] = [Session("127.0.0.1", port) for _ in range(args.clients)]
        if floor_proc:
            sessions["floor"] = [Session("127.0.0.1", floor_port) for _ in range(args.clients)]
        # the cursor for page 2,000 has the format of the page's own "Older" link
        first = sessions["merchant"][0].request("GET", "/policies/").body.decode()
        link = re.search(r'href="\?after=([^"&]+)"[^>]*rel="next"', first)
        if not link or "_" not in urllib.parse.unquote(link.group(1)):
            raise RuntimeError("page 1 has no 'Older' link in the expected format")
        print(
            f"gunicorn --workers {args.workers} on {base}; {args.clients} concurrent clients, "
            f"{args.requests} timed requests per page"
        )
        load_before = os.getloadavg()[0]
        if floor_proc:
            print(
                f"floor: gunicorn floorsite.wsgi --workers {args.workers} on port {floor_port} "
                f"({args.floor_database_url}), {FLOOR_PATH}, interleaved, {args.rounds} rounds"
            )
            per_round, loads = measure_interleaved(pages, sessions, args.requests, args.rounds)
        for page in [] if floor_proc else pages:
            before = cpu_times()
            samples = measure(page, sessions[page.who], args.requests)
            results[page.name] = samples
            print(
                f"  {page.name:<34} p50 {statistics.median(samples):7.1f} ms  "
                f"p95 {percentile(samples, 0.95):7.1f} ms{cpu_busy(before, cpu_times())}",
                flush=True,
            )
        # the floor again at the end: the server did not drift during the run
        if not floor_proc:
            floor_again = measure(pages[0], sessions["anonymous"], args.requests)
        csv_runs = [csv_download(sessions["merchant"][0], proc.pid) for _ in range(args.csv_runs)]
        workers = worker_pids(proc.pid)
        peaks = {pid: proc_kb(pid, "VmHWM") / 1024 for pid in workers}
        rss = {pid: proc_kb(pid, "VmRSS") / 1024 for pid in workers}
    finally:
        stop_gunicorn(proc)
        if floor_proc:
            stop_gunicorn(floor_proc)

    if floor_proc:
        print()
        report_interleaved(pages, per_round, loads, queries)
    else:
        report_sequential(pages, results, queries, load_before, floor_again)
    n, ms, _q = queries.get("CSV export (400,000 policies)", (0, 0.0, None))
    for i, run in enumerate(csv_runs, start=1):
        print(
            f"CSV export run {i}: first byte {run['ttfb_ms']:.0f} ms, full download "
            f"{run['seconds']:.1f} s ({run['mb']:.1f} MB), worker RSS growth "
            f"{run['growth_mb']:.1f} MB (target < {TARGET_CSV_GROWTH_MB:.0f} MB); "
            f"{n} queries in-process"
        )
    print(
        "gunicorn workers after the run: "
        + ", ".join(f"pid {pid} RSS {rss[pid]:.0f} MB, peak {peaks[pid]:.0f} MB" for pid in peaks)
    )
    if not args.no_sweep:
        print()
        subprocess.run(
            [
                str(ROOT / ".venv/bin/python"),
                str(BENCH / "sweep.py"),
                "--database-url",
                args.database_url,
            ],
            cwd=ROOT,
            check=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
