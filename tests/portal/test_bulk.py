"""portal.bulk.insert_rows writes what bulk_create would, in the order given (issue 10).

Run on SQLite (multi-row VALUES) and on PostgreSQL (unnested arrays): CI runs both."""

import datetime as dt
import uuid

import pytest

from notifications.models import Notification, NotificationKind
from outbox.models import RETRY_FOR, Message, MessageStatus
from portal import bulk
from portal.bulk import insert_rows
from tests.factories import ShopFactory

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 12, 2, 10, 0, 0, 123456, tzinfo=dt.UTC)


def _messages(n: int, *, key: str = "refund:R1") -> list[tuple]:
    return [
        (uuid.uuid4(), "claim.closed", key, "R1", AT + dt.timedelta(seconds=i), f'{{"n":{i}}}')
        for i in range(n)
    ]


def test_rows_are_written_in_the_order_given_with_defaults_and_same_values():
    rows = _messages(3)
    written = AT + dt.timedelta(hours=1)
    insert_rows(
        Message,
        ["message_id", "type", "key", "refund_id", "occurred_at", "body"],
        rows,
        same={
            "created_at": written,
            "next_attempt_at": written,
            "retry_until": written + RETRY_FOR,
        },
    )
    messages = list(Message.objects.order_by("seq"))
    assert [m.message_id for m in messages] == [row[0] for row in rows]
    assert [m.body for m in messages] == ['{"n":0}', '{"n":1}', '{"n":2}']
    assert [m.occurred_at for m in messages] == [row[4] for row in rows]  # microseconds kept
    first = messages[0]
    assert (first.created_at, first.next_attempt_at) == (written, written)
    assert first.retry_until == written + RETRY_FOR
    # the model's defaults where nothing was said
    assert (first.status, first.attempts, first.last_answer) == (MessageStatus.PENDING, 0, "")
    assert first.delivered_at is None and first.last_status_code is None


def test_a_row_whose_unique_value_is_there_is_skipped_and_the_first_kept():
    rows = _messages(2)
    columns = ["message_id", "type", "key", "refund_id", "occurred_at", "body"]
    same = {"created_at": AT, "next_attempt_at": AT, "retry_until": AT + RETRY_FOR}
    insert_rows(Message, columns, rows[:1], same=same, ignore_conflict="message_id")
    again = [(rows[0][0], *rows[0][1:5], '{"changed":true}'), rows[1], rows[1]]
    insert_rows(Message, columns, again, same=same, ignore_conflict="message_id")
    assert list(Message.objects.order_by("seq").values_list("message_id", "body")) == [
        (rows[0][0], '{"n":0}'),
        (rows[1][0], '{"n":1}'),
    ]


def test_more_rows_than_one_statement_holds_keep_their_order(monkeypatch):
    monkeypatch.setattr(bulk, "ROWS_PER_STATEMENT", 4)
    monkeypatch.setattr(bulk, "PARAMETERS_PER_STATEMENT", 4 * 15)
    rows = _messages(10)
    insert_rows(
        Message,
        ["message_id", "type", "key", "refund_id", "occurred_at", "body"],
        rows,
        same={"created_at": AT, "next_attempt_at": AT, "retry_until": AT},
    )
    assert list(Message.objects.order_by("seq").values_list("message_id", flat=True)) == [
        row[0] for row in rows
    ]


def test_nulls_in_a_column_and_a_callable_default():
    shop = ShopFactory()
    insert_rows(
        Notification,
        ["shop_id", "claim_id", "kind"],
        [(shop.pk, None, NotificationKind.INVOICE_ISSUED)],
    )
    notification = Notification.objects.get()
    assert notification.claim_id is None and notification.read_at is None
    assert notification.created_at is not None  # default=timezone.now, called for the batch


def test_no_rows_writes_nothing_and_an_unknown_column_is_refused():
    insert_rows(Message, ["message_id"], [])
    assert not Message.objects.exists()
    with pytest.raises(ValueError, match="no column"):
        insert_rows(Message, ["message_id", "colour"], [(uuid.uuid4(), "red")])
