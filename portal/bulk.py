"""Many rows of one model in a few statements, without model instances (issue 10).

`bulk_create` builds a model instance per row and compiles every value of every field; the
sweep's 10,000 due claims write 13,000 outbox messages and 7,000 notifications that way,
and that was a third of its CPU. `insert_rows` writes the same rows as plain values:

    insert_rows(Notification, ["shop_id", "claim_id", "kind", "created_at"], rows)

- a column given in `same` has that value in every row; the others not named get the
  field's default (a callable is called once for the batch), so a row reads as
  `bulk_create` would have written it (no signals either way);
- rows keep their order, and so do the ids the table gives them;
- `ignore_conflict="message_id"`: a row whose unique column is already there is skipped
  (`ON CONFLICT (…) DO NOTHING`), as `bulk_create(ignore_conflicts=True)` does.

On PostgreSQL the rows travel as one JSON array (json.dumps, in C) read back with
`jsonb_array_elements(…) WITH ORDINALITY`, each value cast to its column's type, in
statements of 5,000 rows: one short statement to parse whatever the number of rows, and no
placeholders for psycopg to merge or arrays for it to escape (`bench/bulk_insert.py`:
multi-row VALUES, arrays to `unnest` and the JSON array side by side). Elsewhere (SQLite),
multi-row VALUES within the driver's limit of parameters.

The values are the fields' Python values as the driver takes them (str, int, Decimal,
UUID, aware datetime, None); on SQLite each is prepared by its field as the ORM would.
"""

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from decimal import Decimal

from django.db import connection

# jsonb: the document is parsed once; with `json` each `->>` lexes its row's text again from
# the start, and a 10-column row was parsed 10 times (issue 10: json_lex and
# json_array_element_text were a sixth of the sweep's PostgreSQL CPU; bench/bulk_insert.py).
JSON = "jsonb"
ROWS_PER_STATEMENT = 5_000  # PostgreSQL: a statement's rows, whatever its width
PARAMETERS_PER_STATEMENT = 7_500  # SQLite: within its limit of 32,766


def insert_rows(
    model,
    columns: Sequence[str],
    rows: Sequence[Sequence],
    *,
    same: dict | None = None,
    ignore_conflict: str = "",
) -> None:
    """INSERT `rows` (values of the fields named by `columns`, attnames) into `model`'s
    table, in their order; a column in `same` has that value in every row, any other (but
    the primary key) its default."""
    if not rows:
        return
    same = same or {}
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in columns]
    by_name = {f.attname: f for f in fields}
    unknown = (set(columns) | set(same)) - set(by_name)
    if unknown:
        raise ValueError(f"{model.__name__} has no column {sorted(unknown)}")
    fixed = {
        f.attname: f.get_db_prep_save(
            same[f.attname] if f.attname in same else f.get_default(), connection
        )
        for f in fields
        if f.attname not in columns
    }
    quote = connection.ops.quote_name
    head = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
    )
    tail = (
        f" ON CONFLICT ({quote(by_name[ignore_conflict].column)}) DO NOTHING"
        if ignore_conflict
        else ""
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _json_rows(cursor, head, tail, fields, list(columns), rows, fixed)
        else:
            _values(cursor, head, tail, fields, list(columns), rows, fixed)


def _json(value):
    """A value json.dumps does not know, as text PostgreSQL casts back (UUID, Decimal,
    datetime, date)."""
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a column value portal.bulk writes")


def _json_rows(cursor, head, tail, fields, columns, rows, fixed) -> None:
    """`INSERT … SELECT (r->>0)::uuid, %s, … FROM jsonb_array_elements(%s::jsonb) WITH
    ORDINALITY AS e(r, n) ORDER BY n`: the rows as one JSON array, in the order inserted."""
    position = {name: i for i, name in enumerate(columns)}
    select = ", ".join(
        f"(e.r->>{position[f.attname]})::{f.cast_db_type(connection)}"
        if f.attname in position
        else f"%s::{f.cast_db_type(connection)}"
        for f in fields
    )
    sql = (
        f"{head}SELECT {select} FROM {JSON}_array_elements(%s::{JSON}) WITH ORDINALITY "
        f"AS e(r, n) ORDER BY e.n{tail}"
    )
    constants = [fixed[f.attname] for f in fields if f.attname not in position]
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        document = json.dumps(chunk, default=_json, ensure_ascii=False, separators=(",", ":"))
        cursor.execute(sql, [*constants, document])


def _values(cursor, head, tail, fields, columns, rows, fixed) -> None:
    """Multi-row `VALUES (…), (…)`, each value prepared by its field."""
    position = {name: i for i, name in enumerate(columns)}
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = max(1, PARAMETERS_PER_STATEMENT // len(fields))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        params = [
            f.get_db_prep_save(row[position[f.attname]], connection)
            if f.attname in position
            else fixed[f.attname]
            for row in chunk
            for f in fields
        ]
        sql = f"{head}VALUES {', '.join([one] * len(chunk))}{tail}"
        cursor.execute(sql, params)
