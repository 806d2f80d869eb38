"""Events per second through the signed HTTP batch API (R80-R83) on PostgreSQL.

Recreates a bench database, migrates it, enrolls one shop, starts the portal with gunicorn
(production mode), and posts batches of 1,000 events (orders placed, shipped, received and
refund requests with one small photo) from concurrent client threads. Prints events/s per
run and the median, then SQL queries per event by type (measured in-process) and, with
--profile, where apply_events spends its time. gunicorn is stopped however the run ends.
The workload is bench/ingest_workload.py, the in-process measurements
bench/ingest_inprocess.py.

    .venv/bin/python bench/ingest.py [--runs 5] [--batches 8] [--profile]
        [--strategy batch|savepoints|per-event]

See bench/README.md.
"""

import argparse
import json
import os
import queue
import secrets
import shutil
import signal
import socket
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

# bench/callbacks.py uses this module's names (ingest.Workload, ingest.start_gunicorn, ...).
from bench.ingest_inprocess import in_process_rate, profile, queries_per_event  # noqa: E402
from bench.ingest_workload import ORDERS_PER_BATCH, SHOP_ID, Workload  # noqa: E402, F401


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
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "PLATFORM_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_MANIFEST": "false",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DATABASE_URL": f"{database_url}?conn_max_age=600",
        "MEDIA_ROOT": media_root,
        "LOG_LEVEL": "WARNING",
    }


def recreate_database(database_url: str) -> None:
    import psycopg

    url = urllib.parse.urlsplit(database_url)
    name = url.path.lstrip("/")
    maintenance = urllib.parse.urlunsplit(("postgresql", url.netloc, "/postgres", "", ""))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def migrate_and_enroll() -> None:
    """Migrate, then enroll the bench shop 60 days ago, so that past orders are insured."""
    from bench.common import enroll_bench_shop

    enroll_bench_shop(
        platform_shop_id=SHOP_ID,
        shop_name="压测电器店",
        contact_email="bench@shop.example",
        underwriter="bench-underwriter",
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    env: dict, port: int, workers: int, log: Path, strategy: str = "batch"
) -> subprocess.Popen:
    if strategy != "batch":
        env = {**env, "BENCH_INGEST_STRATEGY": strategy}
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "portal.wsgi" if strategy == "batch" else "bench.ingest_wsgi:application",
        "-w",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "300",
    ]
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )


def wait_ready(base_url: str, proc: subprocess.Popen, timeout=30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the portal did not answer {base_url}/healthz in {timeout:.0f} s")


def stop_gunicorn(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


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


def cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies of all cores (Linux), to tell a CPU-bound run from a waiting one."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def cpu_busy(before, after) -> str:
    if not before or not after or after[1] == before[1]:
        return ""
    busy = 100 * (after[0] - before[0]) / (after[1] - before[1])
    load = os.getloadavg()[0]  # other work on the machine shows here too
    return f", CPU {busy:.0f}% busy over {os.cpu_count()} cores, load {load:.1f}"


def bodies_for_run(workload: Workload, run: int, batches: int) -> list[bytes]:
    from platform_api.events import batch_body

    return [batch_body(workload.batch(f"H{run}-{b:02d}")) for b in range(batches)]


# --- main ---


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # so that `finally` stops gunicorn


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
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
    proc = start_gunicorn(env, port, args.workers, log, args.strategy)
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
