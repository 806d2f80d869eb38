"""Three ways to write 13,000 outbox messages, side by side (issue 10, portal.bulk).

What the deadline sweep writes for 10,000 due claims: 13,000 messages to the marketplace. On a
scratch database (created and dropped here), in one process, alternated round by round:

- `values`: multi-row `INSERT … VALUES (…), (…)` of 500 rows x 15 parameters, each value
  prepared by its field (what outbox.services did before portal.bulk);
- `arrays`: one array per varying column, `INSERT … SELECT … FROM unnest(…) WITH ORDINALITY`;
- `json`: `portal.bulk.insert_rows`, the rows as one JSON array per 5,000, read as `jsonb`
  (parsed once);
- `json-text`: the same read as `json` (each `->>` lexes its row again), as before.

Prints the medians of the rounds: the Python CPU (`time.process_time`) and the wall time of
writing all 13,000 (the messages are deleted between writes, outside the timing).

    .venv/bin/python bench/bulk_insert.py [--rounds 5] [--messages 13000]
        [--database-url postgres://postgres@127.0.0.1:5432/warranty_bulkbench]
"""

import argparse
import datetime as dt
import os
import secrets
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/warranty_bulkbench"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--messages", type=int, default=13_000)
    args = parser.parse_args()
    common.recreate_database(args.database_url)
    os.environ.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "PLATFORM_WEBHOOK_SECRET": secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": args.database_url,
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    try:
        figures = run(args.rounds, args.messages)
    finally:
        connection.close()
        common.drop_database(args.database_url)
    print(f"{args.messages:,} messages, medians of {args.rounds} rounds, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    for name, runs in figures.items():
        cpu = statistics.median(c for c, _ in runs)
        wall = statistics.median(w for _, w in runs)
        print(f"  {name:9s} CPU {cpu * 1000:7.1f} ms   wall {wall * 1000:7.1f} ms")
    return 0


def run(rounds: int, n: int) -> dict[str, list[tuple[float, float]]]:
    from django.db import connection
    from django.utils import timezone

    from outbox.models import RETRY_FOR, Message
    from outbox.payloads import Draft
    from outbox.services import body
    from portal import bulk

    now = timezone.now()
    drafts = [
        Draft(
            type="claim.refund_due",
            natural_key=f"R{i}/{uuid.uuid4()}",
            key=f"refund:R{i}",
            refund_id=f"R{i}",
            occurred_at=now - dt.timedelta(seconds=i),
            data={"refund_id": f"R{i}", "amount": "123.45", "sub_order_id": f"L{i}"},
        )
        for i in range(n)
    ]
    columns = ["message_id", "type", "key", "refund_id", "occurred_at", "body"]
    same = {"created_at": now, "next_attempt_at": now, "retry_until": now + RETRY_FOR}
    fields = [f for f in Message._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    head = (
        f"INSERT INTO {quote(Message._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) "
    )
    tail = " ON CONFLICT (message_id) DO NOTHING"

    def rows():
        return [(d.message_id, d.type, d.key, d.refund_id, d.occurred_at, body(d)) for d in drafts]

    def values():
        defaults = {f.attname: f.get_default() for f in fields}
        prepared = []
        for row in rows():
            one = dict(defaults, **same, **dict(zip(columns, row, strict=True)))
            prepared.append([f.get_db_prep_save(one[f.attname], connection) for f in fields])
        marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
        with connection.cursor() as cursor:
            for start in range(0, len(prepared), 500):
                chunk = prepared[start : start + 500]
                sql = f"{head}VALUES {', '.join([marks] * len(chunk))}{tail}"
                cursor.execute(sql, [value for row in chunk for value in row])

    def arrays():
        by_name = {f.attname: f for f in fields}
        fixed = {
            f.attname: f.get_db_prep_save(same.get(f.attname, f.get_default()), connection)
            for f in fields
            if f.attname not in columns
        }
        select = ", ".join(
            f"u.c{columns.index(f.attname)}"
            if f.attname in columns
            else f"%s::{f.cast_db_type(connection)}"
            for f in fields
        )
        arrays = ", ".join(f"%s::{by_name[c].cast_db_type(connection)}[]" for c in columns)
        names = ", ".join(f"c{i}" for i in range(len(columns)))
        sql = (
            f"{head}SELECT {select} FROM unnest({arrays}) WITH ORDINALITY "
            f"AS u({names}, n) ORDER BY u.n{tail}"
        )
        constants = [fixed[f.attname] for f in fields if f.attname not in columns]
        all_rows = rows()
        with connection.cursor() as cursor:
            for start in range(0, len(all_rows), 5_000):
                chunk = all_rows[start : start + 5_000]
                cursor.execute(sql, [*constants, *(list(c) for c in zip(*chunk, strict=True))])

    def as_json():
        bulk.insert_rows(Message, columns, rows(), same=same, ignore_conflict="message_id")

    def as_json_text():
        kept, bulk.JSON = bulk.JSON, "json"
        try:
            as_json()
        finally:
            bulk.JSON = kept

    ways = {"values": values, "arrays": arrays, "json": as_json, "json-text": as_json_text}
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, write in ways.items():
            Message.objects.all().delete()
            cpu, wall = time.process_time(), time.perf_counter()
            write()
            figures[name].append((time.process_time() - cpu, time.perf_counter() - wall))
            assert Message.objects.count() == n, name
    return figures


if __name__ == "__main__":
    sys.exit(main())
