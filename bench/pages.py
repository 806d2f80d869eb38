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
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    cpu_busy,
    cpu_times,
    exit_on_sigterm,
    free_port,
    start_gunicorn,
    stop_gunicorn,
    wait_ready,
)
from bench.floor.serve import DEFAULT_URL as FLOOR_URL  # noqa: E402
from bench.floor.serve import PATH as FLOOR_PATH  # noqa: E402
from bench.floor.serve import start_floor  # noqa: E402
from bench.latency.client import Session  # noqa: E402
from bench.latency.inprocess import (  # noqa: E402
    explain_pages,
    profile_page,
    queries_per_page,
    split_pages,
)
from bench.latency.measure import (  # noqa: E402
    csv_download,
    measure,
    measure_interleaved,
    percentile,
)
from bench.latency.report import report_interleaved, report_sequential  # noqa: E402
from bench.latency.server import (  # noqa: E402
    DEFAULT_CACHE_URL,
    bench_env,
    collectstatic,
    proc_kb,
    setup_django,
    worker_pids,
)
from bench.latency.targets import CSV_NAME, LOGINS, PASSWORD, pages_to_measure  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/warranty_scale"
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


def in_process_only(args, pages) -> bool:
    """--profile, --split, --explain: one in-process figure, then exit (True)."""
    measured = [p for p in pages if not p.name.startswith("floor")]
    if args.profile:
        profile_page(pages, args.profile)
    elif args.split:
        split_pages(measured)
    elif args.explain:
        explain_pages(measured)
    return bool(args.profile or args.split or args.explain)


def show_sql(queries) -> None:
    for name, (n, ms, captured) in queries.items():
        print(f"--- {name}: {n} queries, {ms:.1f} ms in-process; slowest:")
        for q in sorted(captured, key=lambda q: -float(q["time"]))[:3]:
            print(f"    {float(q['time']) * 1000:8.1f} ms  {q['sql'][:600]}")


def signed_in_sessions(clients: int, port: int, floor_port: int | None) -> dict:
    """`clients` sessions per kind of user, the merchants and reviewers signed in."""
    sessions = {}
    for who, login in LOGINS.items():
        sessions[who] = []
        for _ in range(clients):
            session = Session("127.0.0.1", port)
            session.login(login, PASSWORD)
            sessions[who].append(session)
    sessions["anonymous"] = [Session("127.0.0.1", port) for _ in range(clients)]
    if floor_port:
        sessions["floor"] = [Session("127.0.0.1", floor_port) for _ in range(clients)]
    # the cursor for page 2,000 has the format of the page's own "Older" link
    first = sessions["merchant"][0].request("GET", "/policies/").body.decode()
    link = re.search(r'href="\?after=([^"&]+)"[^>]*rel="next"', first)
    if not link or "_" not in urllib.parse.unquote(link.group(1)):
        raise RuntimeError("page 1 has no 'Older' link in the expected format")
    return sessions


def measure_each(pages, sessions, requests) -> dict:
    """Without --floor: each page once, in turn."""
    results = {}
    for page in pages:
        before = cpu_times()
        samples = measure(page, sessions[page.who], requests)
        results[page.name] = samples
        print(
            f"  {page.name:<34} p50 {statistics.median(samples):7.1f} ms  "
            f"p95 {percentile(samples, 0.95):7.1f} ms{cpu_busy(before, cpu_times())}",
            flush=True,
        )
    return results


def report_memory(queries, csv_runs, workers: dict) -> None:
    n, ms, _q = queries.get(CSV_NAME, (0, 0.0, None))
    for i, run in enumerate(csv_runs, start=1):
        print(
            f"CSV export run {i}: first byte {run['ttfb_ms']:.0f} ms, full download "
            f"{run['seconds']:.1f} s ({run['mb']:.1f} MB), worker RSS growth "
            f"{run['growth_mb']:.1f} MB (target < {TARGET_CSV_GROWTH_MB:.0f} MB); "
            f"{n} queries in-process"
        )
    print(
        "gunicorn workers after the run: "
        + ", ".join(
            f"pid {pid} RSS {rss:.0f} MB, peak {peak:.0f} MB"
            for pid, (rss, peak) in workers.items()
        )
    )


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    tmp = tempfile.mkdtemp(prefix="warranty-pages-")
    static_root = str(Path(tmp) / "static")
    env = bench_env(args.database_url, str(Path(tmp) / "media"), static_root, args.cache_url)
    pages = pages_to_measure(args.database_url)
    if args.only:
        wanted = {n.strip() for n in args.only.split(";")}
        pages = [p for p in pages if p.name in wanted or p.name.startswith("floor")]
    setup_django(env)
    collectstatic(env)
    if in_process_only(args, pages):
        return 0
    print(f"database {args.database_url}; gunicorn log and static files in {tmp}")
    started = time.perf_counter()
    queries = queries_per_page(pages, csv=not args.only or "CSV" in args.only)
    print(f"queries counted in-process ({time.perf_counter() - started:.1f} s)")
    if args.show_sql:
        show_sql(queries)
        return 0
    from django.db import connections

    connections.close_all()  # the sweep copies the database: no session may stay on it

    port = free_port()
    proc = start_gunicorn(env, port, args.workers, Path(tmp) / "gunicorn.log")
    floor_proc = floor_port = None
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, proc)
        if args.floor:
            floor_port = free_port()
            log = Path(tmp) / "floor-gunicorn.log"
            floor_proc = start_floor(floor_port, args.workers, log, args.floor_database_url)
            wait_ready(f"http://127.0.0.1:{floor_port}", floor_proc)
        sessions = signed_in_sessions(args.clients, port, floor_port)
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
        else:
            results = measure_each(pages, sessions, args.requests)
            # the floor again at the end: the server did not drift during the run
            floor_again = measure(pages[0], sessions["anonymous"], args.requests)
        csv_runs = [csv_download(sessions["merchant"][0], proc.pid) for _ in range(args.csv_runs)]
        workers = {
            pid: (proc_kb(pid, "VmRSS") / 1024, proc_kb(pid, "VmHWM") / 1024)
            for pid in worker_pids(proc.pid)
        }
    finally:
        stop_gunicorn(proc)
        if floor_proc:
            stop_gunicorn(floor_proc)

    if floor_proc:
        print()
        report_interleaved(pages, per_round, loads, queries)
    else:
        report_sequential(pages, results, queries, load_before, floor_again)
    report_memory(queries, csv_runs, workers)
    if not args.no_sweep:
        print()
        sweep = [str(ROOT / "bench/sweep.py"), "--database-url", args.database_url]
        subprocess.run([str(ROOT / ".venv/bin/python"), *sweep], cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
