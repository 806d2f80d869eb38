"""The big shop's policy CSV export (issue 10): rows/s, and how long a web worker is held.

Copies the dataset (`CREATE DATABASE warranty_scale_export TEMPLATE warranty_scale`, so the
dataset itself is only read), migrates the copy, starts gunicorn in production mode on it
and signs in as the big shop's merchant (400,171 policies) through the real login form.

1. **Direct**: with the background threshold out of reach (`CSV_EXPORT_BACKGROUND_ROWS`
   = 10^9), `GET /policies/export.csv` downloaded in full, `--runs` times: rows/s = data rows
   / seconds to the last byte; the web worker is held for all of it.
2. **Background** (when the portal has it: the export URL answers with a redirect): with the
   default threshold and one `manage.py db_worker`, `GET /policies/export.csv` (the web
   worker's share: count, create, enqueue), then the export's row is polled until it is
   ready, then the file is downloaded from its private link. rows/s = rows / (ready - click).

Each run prints the load average (`/proc/loadavg`): the machine is shared. The files of the
two paths are compared (sha256). The copy is dropped at the end (`--keep` keeps it).

    .venv/bin/python bench/export.py [--runs 3] [--skip-direct] [--keep]

See bench/README.md.
"""

import argparse
import hashlib
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from bench.common import (  # noqa: E402
    copy_database,
    drop_database,
    exit_on_sigterm,
    free_port,
    start_gunicorn,
    stop_gunicorn,
    wait_ready,
)
from bench.latency.client import Session  # noqa: E402
from bench.latency.server import bench_env, collectstatic  # noqa: E402
from bench.latency.targets import MERCHANT, PASSWORD  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/warranty_scale"
CSV_PATH = "/policies/export.csv"
TARGET_ROWS_PER_S = 100_000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--skip-direct", action="store_true", help="background path only")
    parser.add_argument("--keep", action="store_true", help="keep the copy of the database")
    return parser.parse_args()


def manage(env: dict, *args: str, **popen) -> subprocess.Popen | None:
    command = [str(ROOT / ".venv/bin/python"), "manage.py", *args]
    if popen:
        return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, **popen)
    subprocess.run(command, cwd=ROOT, env={**os.environ, **env}, check=True)
    return None


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def signed_in(port: int) -> Session:
    session = Session("127.0.0.1", port)
    session.login(MERCHANT, PASSWORD)
    return session


def csv_rows(body: bytes) -> int:
    """Data rows of a CSV whose fields hold no line break (ids, times, amounts, labels)."""
    return body.count(b"\r\n") - 1


# --- 1. direct ---


def start_signed_in(env: dict, workers: int, log: Path):
    """gunicorn on a free port, and the big shop's merchant signed in on it: (server, session)."""
    port = free_port()
    server = start_gunicorn(env, port, workers, log)
    try:
        wait_ready(f"http://127.0.0.1:{port}", server)
        return server, signed_in(port)
    except BaseException:
        stop_gunicorn(server)
        raise


def direct_runs(env: dict, runs: int, workers: int, tmp: Path) -> list[dict]:
    server, session = start_signed_in(env, workers, tmp / "direct.log")
    results = []
    try:
        for run in range(1, runs + 1):
            load = loadavg()
            response = session.request("GET", CSV_PATH)
            if response.status != 200:
                raise RuntimeError(f"direct export: {response.status} {response.body[:200]!r}")
            rows = csv_rows(response.body)
            result = {
                "rows": rows,
                "seconds": response.seconds,
                "rate": rows / response.seconds,
                "mb": response.size / 1e6,
                "ttfb_ms": response.ttfb * 1000,
                "sha256": hashlib.sha256(response.body).hexdigest(),
                "load": load,
            }
            results.append(result)
            print(
                f"  direct run {run}: {rows:,} rows, {result['mb']:.1f} MB in "
                f"{result['seconds']:.2f} s = {result['rate']:,.0f} rows/s (worker held "
                f"{result['seconds']:.2f} s, first byte {result['ttfb_ms']:.0f} ms); "
                f"loadavg {load}",
                flush=True,
            )
    finally:
        stop_gunicorn(server)
    return results


# --- 2. background ---


def export_row(database_url: str, pk: int) -> tuple[str, int, int | None]:
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
        return conn.execute(
            "SELECT state, rows_written, rows_total FROM exports_csvexport WHERE id = %s", [pk]
        ).fetchone()


def background_runs(env: dict, database_url: str, runs: int, workers: int, tmp: Path):
    env = {k: v for k, v in env.items() if k != "CSV_EXPORT_BACKGROUND_ROWS"}  # the default
    with (tmp / "db_worker.log").open("wb") as log:  # started first: it boots with gunicorn
        worker = manage(
            env,
            "db_worker",
            "--no-startup-delay",
            "--interval",
            "0.1",
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    results, server = [], None
    try:
        server, session = start_signed_in(env, workers, tmp / "background.log")
        for run in range(1, runs + 1):
            load = loadavg()
            click = session.request("GET", CSV_PATH)
            if click.status == 200:
                print("  the export URL streamed the CSV: no background path in this code")
                return []
            match = re.search(r"/exports/(\d+)/", click.location)
            if click.status != 302 or not match:
                raise RuntimeError(f"background export: {click.status} {click.location!r}")
            pk = int(match.group(1))
            started = time.perf_counter() - click.seconds
            seen = []
            while True:
                state, written, total = export_row(database_url, pk)
                seen.append(written)
                if state != "preparing":
                    break
                time.sleep(0.05)
            ready = time.perf_counter() - started
            if state != "ready":
                raise RuntimeError(f"export {pk} ended {state}; see {tmp}/db_worker.log")
            page = session.request("GET", f"/exports/{pk}/")
            link = re.search(rb'href="(/exports/\d+/download/)"', page.body)
            if page.status != 200 or not link:
                raise RuntimeError(f"export page {pk}: {page.status}")
            download = session.request("GET", link.group(1).decode())
            if download.status != 200:
                raise RuntimeError(f"download {pk}: {download.status}")
            rows = csv_rows(download.body)
            progress = sorted({w for w in seen if 0 < w < written})
            result = {
                "rows": rows,
                "click_ms": click.seconds * 1000,
                "ready_s": ready,
                "rate": rows / ready,
                "download_s": download.seconds,
                "mb": download.size / 1e6,
                "sha256": hashlib.sha256(download.body).hexdigest(),
                "progress_steps": len(progress),
                "load": load,
            }
            results.append(result)
            print(
                f"  background run {run}: click answered in {result['click_ms']:.0f} ms "
                f"(the web worker's share), file ready after {ready:.2f} s = "
                f"{result['rate']:,.0f} rows/s ({rows:,} rows, {result['mb']:.1f} MB; "
                f"{len(progress)} progress values seen), download {download.seconds:.2f} s; "
                f"loadavg {load}",
                flush=True,
            )
    finally:
        if server:
            stop_gunicorn(server)
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    return results


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    tmp = Path(tempfile.mkdtemp(prefix="warranty-export-"))
    started = time.perf_counter()
    copy_url = copy_database(args.database_url, "export", attempts=10)
    print(f"copy of the dataset: {copy_url} ({time.perf_counter() - started:.1f} s); logs in {tmp}")
    try:
        env = bench_env(copy_url, str(tmp / "media"), str(tmp / "static"))  # threshold 10^9
        env["DATABASE_URL"] = copy_url  # no conn_max_age: the worker and the poller come and go
        manage(env, "migrate", "-v", "0")
        collectstatic(env)
        direct = [] if args.skip_direct else direct_runs(env, args.runs, args.workers, tmp)
        background = background_runs(env, copy_url, args.runs, args.workers, tmp)
    finally:
        shutil.rmtree(tmp / "media", ignore_errors=True)  # the exported files; logs stay
        if args.keep:
            print(f"kept {copy_url}")
        else:
            drop_database(copy_url)
    print()
    if direct:
        rate = statistics.median(r["rate"] for r in direct)
        held = statistics.median(r["seconds"] for r in direct)
        print(
            f"direct: median {rate:,.0f} rows/s (target {TARGET_ROWS_PER_S:,}: "
            f"{'met' if rate >= TARGET_ROWS_PER_S else 'MISSED'}), web worker held "
            f"{held:.2f} s per export; {direct[0]['rows']:,} rows"
        )
    if background:
        rate = statistics.median(r["rate"] for r in background)
        click = statistics.median(r["click_ms"] for r in background)
        print(
            f"background: median {rate:,.0f} rows/s from click to file ready (target "
            f"{TARGET_ROWS_PER_S:,}: {'met' if rate >= TARGET_ROWS_PER_S else 'MISSED'}); "
            f"web worker held {click:.0f} ms by the click, "
            f"{statistics.median(r['download_s'] for r in background):.2f} s by the download"
        )
    if direct and background:
        same = {r["sha256"] for r in direct} == {r["sha256"] for r in background}
        print(
            "files of the two paths: "
            + ("byte-identical" if same else "differ (a policy's status can change between runs)")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
