"""Where one deadline sweep's time goes, statement by statement (issue 10).

On a busy machine the sweep's items/s (bench/sweep.py) moves with the load by ±50%; the
share of each statement in the sweep's SQL time moves much less, so a change that drops or
adds statements is seen here. Copies the dataset (as bench/sweep.py does), makes the same
10,000 items due, runs one sweep with a timer around every statement and prints the wall
time, the Python CPU time (time.process_time) and the statements grouped by their first
words, slowest first. The copy is dropped afterwards.

    .venv/bin/python bench/sweep_statements.py [--database-url URL] [--profile]

To compare two commits, run it from each tree (a `git archive` of the older one with the
.venv linked), alternating.
"""

import argparse
import collections
import cProfile
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sweep as bench  # noqa: E402  (bench/sweep.py: the copy and the due items)

from bench.common import drop_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=bench.DEFAULT_URL)
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile the sweep (its Python side)"
    )
    args = parser.parse_args()
    copy_url = bench.copy_database(args.database_url)
    os.environ.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "PLATFORM_WEBHOOK_SECRET": secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": "127.0.0.1",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "DATABASE_URL": copy_url,
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)  # the dataset may predate a newer table (the outbox)
    from django.utils import timezone

    from claims.services.sweep import sweep_deadlines

    seconds: collections.Counter = collections.Counter()
    count: collections.Counter = collections.Counter()

    def timed(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = " ".join(sql.split()[:3])[:60]
            seconds[key] += time.perf_counter() - start
            count[key] += 1

    try:
        bench.make_due(timezone.now())
        cpu, wall = time.process_time(), time.perf_counter()
        profiler = cProfile.Profile() if args.profile else None
        with connection.execute_wrapper(timed):
            if profiler:
                profiler.enable()
            result = sweep_deadlines()
            if profiler:
                profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(
            f"{result.as_dict()}: wall {wall:.2f} s, Python CPU {cpu:.2f} s, "
            f"SQL {sum(seconds.values()):.2f} s in {sum(count.values())} statements, "
            f"load average {load}"
        )
        total = sum(seconds.values())
        for key, spent in seconds.most_common():
            print(f"  {spent * 1000:8.1f} ms {spent / total:6.1%} {count[key]:3d}x  {key}")
        if profiler:
            pstats.Stats(profiler).strip_dirs().sort_stats("cumulative").print_stats(45)
    finally:
        connection.close()
        drop_database(copy_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
