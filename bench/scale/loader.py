"""PostgreSQL COPY of generated rows into a model's table, the columns read from the model.

A row is a dict keyed by the attnames of the model's concrete fields (`shop_id` for the
foreign key `shop`), its values already in COPY's text format (bench.scale.plan). The
columns come from `Model._meta.concrete_fields` (their db_column names): a row that misses a
field, or has one the model does not, stops the build with the field's name, so a field
added to a model cannot silently fall out of the dataset.
"""

import operator
import os
import time


class MissingFields(RuntimeError):
    """The rows of a table do not have the model's fields."""


def columns_of(model) -> tuple[list[str], list[str]]:
    """(attnames, column names) of the model's concrete fields, in the model's order."""
    fields = model._meta.concrete_fields
    return [f.attname for f in fields], [f.column for f in fields]


def step(label: str, seconds: float, count: str = "") -> None:
    """One line of the build's timing table."""
    print(f"  {label:<32} {count:>10}      {seconds:7.1f} s", flush=True)


class Loader:
    """COPY rows into tables, timing each table."""

    def __init__(self, conn):
        self.conn = conn
        self.times: list[tuple[str, int, float]] = []

    def copy(self, model, rows, started: float | None = None) -> int:
        start = started if started is not None else time.perf_counter()
        table = model._meta.db_table
        names, columns = columns_of(model)
        row_of = operator.itemgetter(*names)
        count = 0
        buffer: list[str] = []
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self.conn.cursor() as cur, cur.copy(sql) as copy:
            for row in rows:
                if len(row) != len(names):
                    raise MissingFields(_mismatch(table, names, row))
                try:
                    buffer.append("\t".join(row_of(row)))
                except KeyError:
                    raise MissingFields(_mismatch(table, names, row)) from None
                count += 1
                if len(buffer) >= 20_000:
                    copy.write("\n".join(buffer) + "\n")
                    buffer.clear()
            if buffer:
                copy.write("\n".join(buffer) + "\n")
        seconds = time.perf_counter() - start
        self.times.append((table, count, seconds))
        print(f"  {table:<32} {count:>10,} rows {seconds:7.1f} s", flush=True)
        return count

    def set_sequences(self) -> None:
        """Each loaded table's id sequence past its largest id."""
        for table in dict.fromkeys(t for t, _n, _s in self.times):
            self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )


def _mismatch(table: str, names: list[str], row: dict) -> str:
    missing = [n for n in names if n not in row]
    unknown = [n for n in row if n not in names]
    return (
        f"{table}: the generated rows do not match the model's fields "
        f"(not generated: {missing or 'none'}; not in the model: {unknown or 'none'}); "
        "add the field to its generator in bench/scale/"
    )


def migrate(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def check_foreign_keys(conn) -> list[str]:
    """Every foreign key of the loaded tables holds (they were not checked during COPY)."""
    rows = conn.execute(
        """
        SELECT c.conrelid::regclass, a.attname, c.confrelid::regclass, af.attname
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
        WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1
        """
    ).fetchall()
    problems = []
    for table, column, ref, ref_column in rows:
        missing = conn.execute(
            f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {ref} r WHERE r.{ref_column} = t.{column})"
        ).fetchone()[0]
        if missing:
            problems.append(f"{table}.{column} -> {ref}: {missing} rows")
    conn.commit()
    return problems


def fill_rollups() -> dict:
    """The merchant figures' rollups (issue 10), derived set-based from the loaded rows by the
    same function as `manage.py rebuild_rollups`: one INSERT ... SELECT ... GROUP BY per table."""
    from claims import rollups

    return rollups.rebuild()
