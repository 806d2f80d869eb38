"""R112: messages written in the transaction of the change they report; staff's resend.

`outbox_record_changes` listens to `portal.changes` (outbox.apps): every transition the
runner fires, and every set-based batch of them, comes here inside its own transaction, so
the message commits with the change or not at all. A batch of changes costs one INSERT.
"""

import itertools
import json

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from outbox.models import RETRY_FOR, Message, MessageStatus
from outbox.payloads import BUILDERS, Draft, _time
from portal.bulk import insert_rows
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


def outbox_write(drafts: list[Draft]) -> None:
    """The messages, in the order given (their `seq`, R112): a message already written (same
    stable id) is kept as it was, since the marketplace has it. A few statements whatever
    the number (portal.bulk: the sweep writes 13,000 at once)."""
    now = timezone.now()
    insert_rows(
        Message,
        ["message_id", "type", "key", "refund_id", "occurred_at", "body"],
        [(d.message_id, d.type, d.key, d.refund_id, d.occurred_at, body(d)) for d in drafts],
        same={"created_at": now, "next_attempt_at": now, "retry_until": now + RETRY_FOR},
        ignore_conflict="message_id",
    )


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
