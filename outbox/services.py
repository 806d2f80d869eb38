"""R112: messages written in the transaction of the change they report; staff's resend.

`outbox_record_changes` listens to `portal.changes` (outbox.apps): every transition the
runner fires, and every set-based batch of them, comes here inside its own transaction, so
the message commits with the change or not at all. A batch of changes costs one INSERT.
"""

import itertools
import json

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from outbox.models import RETRY_FOR, Message, MessageStatus
from outbox.payloads import BUILDERS, Draft, _time
from portal.changes import Change


def _builder(change: Change):
    return BUILDERS.get((change.model._meta.label_lower, change.name))


def outbox_record_changes(changes: list[Change]) -> None:
    """The messages of these changes, in their order (a run of changes of one kind is built
    at once): one multi-row INSERT. A message already written (same stable id) is kept."""
    drafts: list[Draft] = []
    for builder, run in itertools.groupby(changes, key=_builder):
        if builder is not None:
            drafts += builder(list(run))
    if drafts:
        outbox_write(drafts)


def body(draft: Draft) -> str:
    """R110: the envelope `{"id", "type", "occurred_at", "data"}`, frozen as sent."""
    envelope = {
        "id": str(draft.message_id),
        "type": draft.type,
        "occurred_at": _time(draft.occurred_at),
        "data": draft.data,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))


# Every column but the sequence, each value prepared by its field as the ORM would; a
# multi-row INSERT of these is what bulk_create(ignore_conflicts=True) wrote, without
# building a model instance and compiling each value (the sweep writes 13,000 at once).
_FIELDS = [f for f in Message._meta.concrete_fields if not f.primary_key]
_ROWS_PER_STATEMENT = 500  # 500 x 15 parameters: within SQLite's limit


def outbox_write(drafts: list[Draft]) -> None:
    """One multi-row `INSERT … ON CONFLICT (message_id) DO NOTHING` per 500 messages: the
    same message again (same id) is kept as it was, the marketplace has it (R112)."""
    now = timezone.now()
    defaults = {f.attname: f.get_default() for f in _FIELDS}
    rows = []
    for d in drafts:
        values = dict(
            defaults,
            message_id=d.message_id,
            type=d.type,
            key=d.key,
            refund_id=d.refund_id,
            occurred_at=d.occurred_at,
            created_at=now,
            body=body(d),
            next_attempt_at=now,
            retry_until=now + RETRY_FOR,
        )
        rows.append([f.get_db_prep_save(values[f.attname], connection) for f in _FIELDS])
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in _FIELDS)
    unique = quote(Message._meta.get_field("message_id").column)
    one = "(" + ", ".join(["%s"] * len(_FIELDS)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _ROWS_PER_STATEMENT):
            chunk = rows[start : start + _ROWS_PER_STATEMENT]
            sql = (
                f"INSERT INTO {quote(Message._meta.db_table)} ({columns}) VALUES "
                + ", ".join([one] * len(chunk))
                + f" ON CONFLICT ({unique}) DO NOTHING"
            )
            cursor.execute(sql, [value for row in chunk for value in row])


@transaction.atomic
def messages_resend(*, messages: QuerySet[Message]) -> int:
    """R113: staff send these again, now (a delivered one too: the marketplace deduplicates
    by id). The retry window of 3 days starts again from now."""
    now = timezone.now()
    return messages.update(
        status=MessageStatus.PENDING,
        next_attempt_at=now,
        retry_until=now + RETRY_FOR,
        delivered_at=None,
    )
