"""What one event's own transaction costs on this machine's PostgreSQL, against the
alternatives platform_api/batch.py weighs (issue 10): a commit per row, a savepoint per row
in one transaction, plain statements in one transaction, one multi-row statement.

    .venv/bin/python bench/commit_cost.py [--rows 1000] [--rounds 3]

Uses a temporary table in the database of --database-url (warranty_bench by default);
prints ms per row of each way, the median of the rounds, and the load average.
"""

import argparse
import os
import statistics
import time

import psycopg


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--database-url", default="postgresql://postgres@127.0.0.1:5432/warranty_bench"
    )
    return parser.parse_args()


def commit_per_row(conn, rows):
    for key in rows:
        conn.execute("INSERT INTO commit_cost (k) VALUES (%s)", (key,))
        conn.commit()


def savepoint_per_row(conn, rows):
    for key in rows:
        conn.execute("SAVEPOINT event")
        conn.execute("INSERT INTO commit_cost (k) VALUES (%s)", (key,))
        conn.execute("RELEASE SAVEPOINT event")
    conn.commit()


def one_transaction(conn, rows):
    for key in rows:
        conn.execute("INSERT INTO commit_cost (k) VALUES (%s)", (key,))
    conn.commit()


def one_statement(conn, rows):
    values = ", ".join(["(%s)"] * len(rows))
    conn.execute(f"INSERT INTO commit_cost (k) VALUES {values}", rows)
    conn.commit()


WAYS = {
    "a commit per row": commit_per_row,
    "a savepoint per row, one commit": savepoint_per_row,
    "plain statements, one commit": one_transaction,
    "one multi-row INSERT, one commit": one_statement,
}


def main() -> None:
    args = parse_args()
    with psycopg.connect(args.database_url) as conn:
        conn.execute("CREATE TEMPORARY TABLE commit_cost (id serial PRIMARY KEY, k text UNIQUE)")
        conn.commit()
        settings = [
            conn.execute(f"SHOW {name}").fetchone()[0]
            for name in ("synchronous_commit", "fsync", "wal_sync_method")
        ]
        print(f"synchronous_commit, fsync, wal_sync_method: {', '.join(settings)}")
        times = {name: [] for name in WAYS}
        for round_ in range(args.rounds):
            for name, way in WAYS.items():
                rows = [f"{round_}-{name}-{n}" for n in range(args.rows)]
                start = time.perf_counter()
                way(conn, rows)
                times[name].append((time.perf_counter() - start) * 1000 / args.rows)
    for name, values in times.items():
        print(f"  {name:<34} {statistics.median(values):6.3f} ms/row")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
