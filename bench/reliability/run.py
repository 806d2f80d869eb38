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
import datetime as dt
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import db_name, exit_on_sigterm, recreate_database  # noqa: E402
from bench.reliability import harness  # noqa: E402
from bench.reliability.harness import Portal, close_db, enroll_shop, setup_django  # noqa: E402
from bench.reliability.kill import scenario_kill  # noqa: E402
from bench.reliability.load import scenario_load  # noqa: E402
from bench.reliability.pg import pg_cluster, pg_ensure_up, scenario_pg  # noqa: E402
from bench.reliability.sweep import scenario_sweep  # noqa: E402
from bench.reliability.traffic import Events  # noqa: E402


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
    parser.add_argument(
        "--kill-at",
        type=float,
        default=0.5,
        help="fraction of the batch applied when the kill is sent (the batch commits a chunk of "
        "250 events of one type at a time, so 0.5 kills after the 2nd or 3rd chunk)",
    )
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


def main() -> int:
    args = parse_args()
    only = set(args.only.split(","))
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    media = tempfile.mkdtemp(prefix="warranty-reliability-")
    env = harness.reliability_env(args.database_url, media, args.conn_health_checks)
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
    failed = harness.summary()
    shutil.rmtree(Path(media) / "evidence", ignore_errors=True)
    return failed


if __name__ == "__main__":
    sys.exit(main())
