"""Events per second through the signed HTTP batch API (R80-R83) on PostgreSQL.

Recreates a bench database, migrates it, enrolls one shop, starts the portal with gunicorn
(production mode), and posts batches of 1,000 events (orders placed, shipped, received and
refund requests with one small photo) from concurrent client threads. Prints events/s per
run and the median, then SQL queries per event by type (measured in-process) and, with
--profile, where apply_events spends its time. gunicorn is stopped however the run ends.

    .venv/bin/python bench/ingest.py [--runs 5] [--batches 8] [--profile]
        [--strategy batch|savepoints|per-event]

See bench/README.md.
"""

import argparse
import datetime as dt
import json
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    cpu_busy,
    cpu_times,
    enroll_bench_shop,
    exit_on_sigterm,
    free_port,
    order_events,
    production_env,
    recreate_database,
    start_gunicorn,
    stop_gunicorn,
    wait_ready,
)
from bench.ingest_inprocess import in_process_rate, profile, queries_per_event  # noqa: E402

SHOP_ID = "TM-BENCH-1"
ORDERS_PER_BATCH = 250  # x 4 events = 1,000 events per batch (R80's maximum)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batches", type=int, default=8, help="batches of 1,000 events per run")
    parser.add_argument("--threads", type=int, default=2, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/warranty_bench"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile apply_events in-process")
    parser.add_argument(
        "--strategy",
        choices=["batch", "savepoints", "per-event"],
        default="batch",
        help="batch: as in production (set-based, falling back); savepoints: one transaction "
        "per chunk, a savepoint per event; per-event: a commit per event (bench/ingest_wsgi.py)",
    )
    return parser.parse_args()


# --- environment, database, portal ---


def bench_env(database_url: str, media_root: str) -> dict:
    """Production mode, as in README "Production"; e-mail tasks are only enqueued."""
    return production_env(database_url, media_root)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def migrate_and_enroll() -> None:
    """Migrate, then enroll the bench shop 60 days ago, so that past orders are insured."""
    enroll_bench_shop(
        platform_shop_id=SHOP_ID,
        shop_name="压测电器店",
        contact_email="bench@shop.example",
        underwriter="bench-underwriter",
    )


def start_ingest(
    env: dict, port: int, workers: int, log: Path, strategy: str = "batch"
) -> subprocess.Popen:
    """The portal, or with another `strategy` bench/ingest_wsgi.py, which forces it."""
    if strategy == "batch":
        return start_gunicorn(env, port, workers, log)
    env = {**env, "BENCH_INGEST_STRATEGY": strategy}
    return start_gunicorn(env, port, workers, log, app="bench.ingest_wsgi:application")


# --- the workload ---


class Workload:
    """Self-contained batches: 250 orders placed, shipped, received, then a refund request on
    each (covered reasons mostly, so most become claims; some fast-tracked, R39)."""

    def __init__(self, seed=1):
        from django.utils import timezone

        self.seed = seed
        self.now = timezone.now()

    def batch(self, tag: str) -> list[dict]:
        orders = [self._order(f"{tag}-{n:03d}") for n in range(ORDERS_PER_BATCH)]
        return [e for stage in zip(*orders, strict=True) for e in stage]

    def batch_of(self, tag: str, stage: int, count: int, **refund) -> list[dict]:
        """One stage (0 placed, 1 shipped, 2 received, 3 refund requested) of `count` orders."""
        return [self._order(f"{tag}-{n:03d}", **refund)[stage] for n in range(count)]

    def _order(self, order_id: str, *, tier=None, reason=None, kind=None, price=None):
        """The same id always gives the same order. A given `tier` comes with a buyer of
        its own (no claim history, so R39 fast track applies when the amount is small)."""
        import random

        from simulator.market import image_evidence

        rng = random.Random(f"{self.seed}-{order_id}")
        placed = self.now - dt.timedelta(days=5 + rng.random() * 45)
        received = placed + dt.timedelta(days=2)
        requested = received + dt.timedelta(days=rng.random() * 3)
        paid = f"{price or rng.choice([99, 199, 299, 599, 1299])}.00"
        buyer_id = f"U-{order_id}" if tier else f"BB-{rng.randrange(50_000)}"
        return order_events(
            order_id,
            shop_id=SHOP_ID,
            buyer_id=buyer_id,
            credit_tier=tier or rng.randint(1, 5),
            placed=placed,
            requested=requested,
            paid=paid,
            sku="SKU-B",
            title="电热水壶",
            kind=kind or rng.choice(["refund_only", "return_and_refund"]),
            reason=reason or rng.choices(["quality_issue", "wrong_size"], [70, 30])[0],
            description="用了两天就坏了",
            image=image_evidence(rng, order_id),
        )


# --- HTTP runs ---


def post(base_url: str, body: bytes, secret: str) -> list[dict]:
    from platform_api.auth import signed_headers

    headers = {**signed_headers(body, secret=secret), "Content-Type": "application/json"}
    request = urllib.request.Request(base_url + "/api/v1/events", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())["results"]


def http_run(base_url: str, bodies: list[bytes], threads: int, secret: str):
    """Post every body from `threads` threads; (seconds, statuses, first errors)."""
    work: queue.Queue = queue.Queue()
    for body in bodies:
        work.put(body)
    statuses, errors, failures = Counter(), Counter(), []
    lock = threading.Lock()

    def client():
        while True:
            try:
                body = work.get_nowait()
            except queue.Empty:
                return
            try:
                results = post(base_url, body, secret)
            except OSError as error:  # HTTPError and URLError included
                failures.append(error)
                return
            with lock:
                for result in results:
                    statuses[result["status"]] += 1
                    if result.get("error"):
                        errors[result["error"]] += 1

    pool = [threading.Thread(target=client) for _ in range(threads)]
    start = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    seconds = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"a request failed: {failures[0]}")
    return seconds, statuses, errors


def bodies_for_run(workload: Workload, run: int, batches: int) -> list[bytes]:
    from platform_api.events import batch_body

    return [batch_body(workload.batch(f"H{run}-{b:02d}")) for b in range(batches)]


# --- main ---


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    media = tempfile.mkdtemp(prefix="warranty-bench-media-")
    env = bench_env(args.database_url, media)
    os.environ.update(env)  # this process measures in-process against the same database
    print(f"bench database {args.database_url} (dropped and created), media {media}")
    recreate_database(args.database_url)
    setup_django()
    migrate_and_enroll()
    workload = Workload()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = Path(media) / "gunicorn.log"
    proc = start_ingest(env, port, args.workers, log, args.strategy)
    try:
        wait_ready(base_url, proc)
        print(
            f"gunicorn {args.workers} workers on {base_url} (log {log}); "
            f"{args.threads} client threads; "
            f"{args.batches} batches x 1,000 events per run; strategy {args.strategy}"
        )
        rates = []
        for run in range(1, args.runs + 1):
            bodies = bodies_for_run(workload, run, args.batches)
            before = cpu_times()
            seconds, statuses, errors = http_run(
                base_url, bodies, args.threads, env["PLATFORM_WEBHOOK_SECRET"]
            )
            events = sum(statuses.values())
            rates.append(events / seconds)
            print(
                f"run {run}: {events} events in {seconds:.2f} s = {rates[-1]:.0f} events/s "
                f"{dict(statuses)}{cpu_busy(before, cpu_times())}"
            )
            for error, count in errors.most_common(3):
                print(f"    rejected x{count}: {error}")
        print(
            f"median: {statistics.median(rates):.0f} events/s (target >= 2,000), "
            f"load average {os.getloadavg()[0]:.2f}"
        )
    finally:
        stop_gunicorn(proc)
    rate, queries = in_process_rate(workload)
    print(
        f"in-process apply_events, one thread, one 1,000-event batch: {rate:.0f} events/s, "
        f"{queries} SQL queries for the batch"
    )
    print("SQL queries per event, in-process (PostgreSQL):")
    for label, n, queries, ms in queries_per_event(workload):
        print(f"  {label:<48} {queries / n:6.1f} queries/event  {ms:6.2f} ms/event")
    if args.profile:
        print(profile(workload))
    shutil.rmtree(Path(media) / "evidence", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
