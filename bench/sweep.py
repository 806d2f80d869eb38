"""The deadline sweep (R90/R91) on the full dataset: nothing due, then 10,000 items due.

Copies the dataset database (`CREATE DATABASE ... TEMPLATE`, so the dataset itself stays as
built), then, in-process and in production mode against the copy:

1. times `claims.services.sweep.sweep_deadlines()` with nothing due (3 runs);
2. makes 10,000 items due by moving deadlines into the past: 4,000 returns awaiting a
   tracking number (closed, R33), 3,000 shipped returns the merchant left unconfirmed
   (received + breach + refunded + paid, R38) and 3,000 reviews (flagged overdue, R32);
3. times one sweep over them, then a second one (idempotent: nothing more to do).

With --runs N, steps 2-3 are repeated on a fresh copy each time and the median printed, with
the load average (other work shares the machine). The copy is dropped afterwards (--keep to
keep it).

    .venv/bin/python bench/sweep.py [--runs 3]
        [--database-url postgres://postgres@127.0.0.1:5432/warranty_scale]
"""

import argparse
import datetime as dt
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/warranty_scale"
DUE = {"awaiting_return": 4_000, "return_shipped": 3_000, "submitted": 3_000}
TARGET_EMPTY_S = 1.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="keep the copy of the database")
    parser.add_argument(
        "--runs", type=int, default=1, help="sweeps of 10,000 due items, each on a fresh copy"
    )
    parser.add_argument(
        "--chunks",
        default="",
        help="claims per transaction to compare, e.g. 2000,5000: each run sweeps once with each, "
        "alternated, each on a fresh copy (default: the sweep's own CHUNK)",
    )
    return parser.parse_args()


def copy_database(database_url: str) -> str:
    """The copy's URL; the source must have no other session."""
    return common.copy_database(database_url, "sweep")


def make_due(now: dt.datetime) -> int:
    """Move the deadlines of 10,000 open claims into the past (an hour ago)."""
    from django.db import connection

    past = now - dt.timedelta(hours=1)
    column = {
        "awaiting_return": "return_due_at",
        "return_shipped": "receipt_due_at",
        "submitted": "review_due_at",
    }
    total = 0
    with connection.cursor() as cursor:
        for state, count in DUE.items():
            extra = ", review_overdue = false" if state == "submitted" else ""
            cursor.execute(
                f"UPDATE claims_claim SET {column[state]} = %s{extra} WHERE id IN "
                f"(SELECT id FROM claims_claim WHERE state = %s ORDER BY id LIMIT %s)",
                [past, state, count],
            )
            total += cursor.rowcount
        cursor.execute("ANALYZE claims_claim")
    return total


class QueryCounter:
    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def main() -> int:
    args = parse_args()
    started = time.perf_counter()
    copy_url = copy_database(args.database_url)
    print(f"deadline sweep on a copy of the dataset: {copy_url} "
          f"(copied in {time.perf_counter() - started:.1f} s)")  # fmt: skip
    os.environ.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "PLATFORM_WEBHOOK_SECRET": secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": "127.0.0.1",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",  # e-mails only enqueued
            "DATABASE_URL": copy_url,
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from claims.services.sweep import sweep_deadlines

    call_command("migrate", verbosity=0)  # the dataset may predate a newer table (the outbox)
    try:
        empty = []
        for _ in range(3):
            counter = QueryCounter()
            start = time.perf_counter()
            with connection.execute_wrapper(counter):
                result = sweep_deadlines()
            empty.append(time.perf_counter() - start)
            print(
                f"  nothing due: {empty[-1] * 1000:7.1f} ms, {counter.n} queries, "
                f"{result.as_dict()}"
            )
        verdict = "met" if statistics.median(empty) < TARGET_EMPTY_S else "MISSED"
        print(
            f"sweep with nothing due: median {statistics.median(empty) * 1000:.1f} ms "
            f"(target < {TARGET_EMPTY_S:.0f} s: {verdict})"
        )
        from claims.services.sweep import CHUNK

        sizes = [int(c) for c in args.chunks.split(",") if c.strip()] or [CHUNK]
        rates, per_item = [], []
        by_size: dict[int, list[float]] = {size: [] for size in sizes}
        for run, size in ((r, s) for r in range(args.runs) for s in sizes):
            if run or size != sizes[0]:
                connection.close()
                copy_database(args.database_url)
                call_command("migrate", verbosity=0)
            now = timezone.now()
            due = make_due(now)
            load = Path("/proc/loadavg").read_text().split()[:3]
            counter = QueryCounter()
            start = time.perf_counter()
            with connection.execute_wrapper(counter):
                result = sweep_deadlines(chunk=size)
            seconds = time.perf_counter() - start
            rates.append(due / seconds)
            by_size[size].append(due / seconds)
            per_item.append(counter.n / due)
            print(
                f"sweep with {due:,} items due, {size:,} a transaction: {seconds:.2f} s "
                f"({due / seconds:,.0f} items/s), "
                f"{counter.n:,} queries ({counter.n / due:.4f} per item), {result.as_dict()}, "
                f"load average {' '.join(load)}"
            )
            start = time.perf_counter()
            again = sweep_deadlines()
            print(
                f"  and again right after: {(time.perf_counter() - start) * 1000:.1f} ms, "
                f"{again.as_dict()} (idempotent)"
            )
        if len(sizes) > 1:
            for size, sized in by_size.items():
                print(f"  {size:,} a transaction: median {statistics.median(sized):,.0f} items/s")
        elif args.runs > 1:
            print(
                f"median of {args.runs}: {statistics.median(rates):,.0f} items/s, "
                f"{statistics.median(per_item):.4f} queries per item"
            )
    finally:
        connection.close()
        if not args.keep:
            common.drop_database(copy_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
