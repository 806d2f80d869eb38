"""A marketplace-scale dataset on PostgreSQL for the page benchmarks (issue 6).

Drops and creates a database (default `warranty_scale`), migrates it, then bulk-loads with
PostgreSQL COPY (psycopg `cursor.copy()`), never one ORM save per row:

- 200 shops (shop 1, "TM-SCALE-0001", holds 40% of everything), each enrolled 13 months
  ago by invitation, with a monthly premium-rate history and one merchant login;
- 300,000 buyers, 1,000,000 orders with ~1.3 sub-orders each, one policy per order;
- 150,000 refund requests: 100,000 warranty-card claims over every R41 state, with the
  payouts, buyer compensations and breaches the paid ones imply, and django-fsm-log
  StateLog rows for every claim transition; 50,000 merchant-handled requests;
- 5,000 buyer feedback reports; monthly invoice requests with their invoice lines;
- staff: `bench-reviewer` (claim reviewer), `bench-finance`, `bench-underwriter`.

Deterministic for a given --seed and --now (times are offsets from `now`, by default the
current minute, so that open claims have deadlines in the future and nothing is due for the
deadline sweep right after the build). Prints the time per table and the total.

    .venv/bin/python bench/dataset.py [--database-url postgres://postgres@127.0.0.1:5432/warranty_scale]

Logins (password `bench-scale-2026`): shop001@scale.example (the big shop), shopNNN@...,
bench-reviewer, bench-finance, bench-underwriter. See bench/README.md.
"""

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import recreate_database  # noqa: E402
from bench.scale.build import Build, load_all, print_summary  # noqa: E402
from bench.scale.loader import check_foreign_keys, fill_rollups, migrate, step  # noqa: E402
from bench.scale.plan import DEFAULT_URL, N_ORDERS, ts  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--now", help="ISO time the data is built around (default: the current minute, UTC)"
    )
    parser.add_argument("--orders", type=int, default=N_ORDERS, help="policies (one per order)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.now:
        now = dt.datetime.fromisoformat(args.now).timestamp()
    else:
        now = float(int(time.time()) // 60 * 60)
    total_start = time.perf_counter()
    print(f"database {args.database_url} (dropped and created); now = {ts(now)}; seed {args.seed}")
    started = time.perf_counter()
    recreate_database(args.database_url)
    migrate(args.database_url)
    step("create database + migrate", time.perf_counter() - started)

    import psycopg

    conn = psycopg.connect(args.database_url, autocommit=False)
    # Foreign-key triggers off during the load (the rows are generated consistent; checked
    # afterwards by anti-joins); CHECK and UNIQUE constraints stay on.
    conn.execute("SET session_replication_role = replica")
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET maintenance_work_mem = '512MB'")
    load = load_all(conn, Build(args.seed, now, args.orders))
    started = time.perf_counter()
    load.set_sequences()
    conn.commit()
    step("(sequences + commit)", time.perf_counter() - started)
    conn.execute("SET session_replication_role = DEFAULT")
    conn.commit()

    started = time.perf_counter()
    problems = check_foreign_keys(conn)
    step("(foreign keys checked)", time.perf_counter() - started)
    if problems:
        for problem in problems:
            print(f"  FOREIGN KEY VIOLATION: {problem}")
        return 1

    started = time.perf_counter()
    written = fill_rollups()
    step(
        "rollups (claims.rollups.rebuild)",
        time.perf_counter() - started,
        f"{sum(written.values()):,}",
    )

    conn.autocommit = True
    started = time.perf_counter()
    conn.execute("VACUUM (ANALYZE)")  # statistics, and the visibility map for index-only scans
    step("VACUUM (ANALYZE)", time.perf_counter() - started)
    conn.close()
    total = time.perf_counter() - total_start
    print(f"total {total:.1f} s ({total / 60:.1f} min)")
    print_summary(args.database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
