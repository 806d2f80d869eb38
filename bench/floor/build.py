"""Build the floor's database: 1,000,000 policy-like rows, loaded with COPY (issue 10).

    .venv/bin/python bench/floor/build.py [--database-url postgres://…/warranty_floor]

Drops and creates the database (its name must contain "floor"; anything in it is lost),
migrates it (the `items` app: one table, 3 indexes besides the primary key), loads the rows
with PostgreSQL COPY through psycopg's `cursor.copy()` (never one row at a time), runs
VACUUM (ANALYZE), then requests `/items/?owner=1` once in-process to check the page (25
rows) and count its queries. Prints the time of each step. See bench/README.md.
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
import urllib.parse
from pathlib import Path

FLOOR = Path(__file__).resolve().parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/warranty_floor"
STATUSES = ["none"] * 6 + ["in_coverage"] * 2 + ["expired", "claimed"]
CHUNK = 50_000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--owners", type=int, default=200)
    parser.add_argument("--big-share", type=float, default=0.4, help="owner 1's share")
    parser.add_argument("--seed", type=int, default=10)
    return parser.parse_args()


def recreate_database(database_url: str) -> None:
    import psycopg

    url = urllib.parse.urlsplit(database_url)
    name = url.path.lstrip("/")
    if "floor" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the floor's database name has 'floor' in it")
    maintenance = urllib.parse.urlunsplit(("postgresql", url.netloc, "/postgres", "", ""))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(database_url: str) -> None:
    sys.path.insert(0, str(FLOOR))
    os.environ["DJANGO_SETTINGS_MODULE"] = "floorsite.settings"
    os.environ["DATABASE_URL"] = database_url  # never the portal's
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()


def owners(rows: int, count: int, big_share: float, rng: random.Random) -> list[int]:
    """Owner 1 holds `big_share` of the rows, the others a Zipf-like curve."""
    weights = [big_share] + [0.0] * (count - 1)
    rest = [1 / k for k in range(2, count + 1)]
    for i, w in enumerate(rest, start=1):
        weights[i] = (1 - big_share) * w / sum(rest)
    return rng.choices(range(1, count + 1), weights=weights, k=rows)


def chunks(args, now: dt.datetime):
    """Tab-separated COPY text, CHUNK rows at a time; times increase with the id."""
    rng = random.Random(args.seed)
    owner_of = owners(args.rows, args.owners, args.big_share, rng)
    start = now - dt.timedelta(days=365)
    step = 365 * 86400 / args.rows
    lines = []
    for i in range(args.rows):
        pk = i + 1
        created = start + dt.timedelta(seconds=i * step + rng.random() * step)
        amount = rng.randrange(100, 500_000)
        rate = rng.randrange(100, 500)
        lines.append(
            f"{pk}\t{owner_of[i]}\tIT{pk:010d}\t{created.isoformat()}\t"
            f"{amount // 100}.{amount % 100:02d}\t0.0{rate}\t{rng.choice(STATUSES)}\t"
            f"order PO-{rng.randrange(10**9):09d} sku {rng.randrange(10**4):04d}\n"
        )
        if len(lines) == CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def main() -> int:
    args = parse_args()
    timings = []
    started = time.perf_counter()

    def step(label: str, since: float) -> float:
        now = time.perf_counter()
        timings.append((label, now - since))
        print(f"  {label:<48} {now - since:6.1f} s", flush=True)
        return now

    t = time.perf_counter()
    recreate_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    t = step("drop, create database + migrate", t)

    import psycopg

    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    columns = "id, owner_id, number, created_at, amount, rate, status, note"
    with psycopg.connect(args.database_url) as conn:
        with conn.cursor() as cur:
            with cur.copy(f"COPY items_item ({columns}) FROM STDIN") as copy:
                for block in chunks(args, now):
                    copy.write(block)
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('items_item', 'id'), "
                "(SELECT max(id) FROM items_item))"
            )
        conn.commit()
    t = step(f"COPY items_item ({args.rows:,} rows, 3 indexes + pk)", t)
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) items_item")
        t = step("VACUUM (ANALYZE)", t)
        big = conn.execute("SELECT count(*) FROM items_item WHERE owner_id = 1").fetchone()[0]
        n_owners = conn.execute("SELECT count(DISTINCT owner_id) FROM items_item").fetchone()[0]
        indexes = conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'items_item' ORDER BY 1"
        ).fetchall()
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = size.fetchone()[0]
        plan = conn.execute(
            "EXPLAIN (ANALYZE, COSTS OFF) SELECT * FROM items_item WHERE owner_id = 1 "
            "ORDER BY created_at DESC, id DESC LIMIT 25"
        ).fetchall()
    print(
        f"  {args.rows:,} rows, {n_owners} owners, owner 1 holds {big:,}; database {size}; "
        f"indexes: {', '.join(r[0] for r in indexes)}"
    )
    print("  plan of the page's query (owner 1):")
    for (line,) in plan:
        print(f"    {line}")

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.get("/items/?owner=1")
    t = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/items/?owner=1")
    ms = (time.perf_counter() - t) * 1000
    rows = response.content.count(b"<tr>") - 1  # minus the header row
    if response.status_code != 200 or rows != 25:
        raise SystemExit(f"/items/?owner=1: {response.status_code}, {rows} rows")
    print(
        f"  /items/?owner=1 in-process: 200, {rows} rows, {len(response.content):,} bytes, "
        f"{len(captured.captured_queries)} queries, {ms:.1f} ms"
    )
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
