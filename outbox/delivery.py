"""R110/R113: the worker's side of the outbox: post due messages, signed, and record how it went.

A batch of due messages is locked (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL: several
workers share the queue and never post one message at the same time; a worker that dies
mid-send drops its connection, so its lock and everything it recorded roll back and the
message is posted again, same id, same body). The lock is held while the batch is posted, so
a message counts as delivered only once its 2xx answer is committed, and a later message
about the same refund (R112) is due only when every earlier one is delivered: it waits while
an earlier one is pending, being sent, or dead.

SQLite has no row locks: there a batch takes the database's write lock when it starts
(`BEGIN IMMEDIATE`), so workers take turns (a development set-up; production runs on
PostgreSQL).

A 2xx answer is delivered. Anything else, a timeout or a refused connection is tried again
after an exponential backoff with jitter, until `retry_until` (3 days after it was written,
or resent); a failure after that makes it dead.
"""

import contextlib
import datetime as dt
import hashlib
import hmac
import random
import time
from dataclasses import dataclass, field

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from outbox.models import Message, MessageStatus

BATCH = 20
ANSWER_EXCERPT = 500
UPDATED = ["status", "attempts", "next_attempt_at", "last_attempt_at", "delivered_at"]
UPDATED += ["last_status_code", "last_answer"]


@dataclass
class Target:
    """Where and how to post: the settings, unless a test, the demo or a benchmark says."""

    url: str = field(default_factory=lambda: settings.PLATFORM_CALLBACK_URL)
    secret: str = field(default_factory=lambda: settings.PLATFORM_CALLBACK_SECRET)
    connect_timeout: float = field(default_factory=lambda: settings.CALLBACK_CONNECT_TIMEOUT)
    read_timeout: float = field(default_factory=lambda: settings.CALLBACK_READ_TIMEOUT)

    def client(self) -> httpx.Client:
        timeout = httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.read_timeout,
            pool=self.connect_timeout,
        )
        return httpx.Client(timeout=timeout, follow_redirects=False)


@dataclass
class DeliveryResult:
    delivered: int = 0
    retrying: int = 0
    dead: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.dead


def signature(secret: str, timestamp: str, raw: bytes) -> str:
    """R110: `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`, the mirror of R81."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def signed_headers(secret: str, raw: bytes, message_id: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "X-Warranty-Timestamp": timestamp,
        "X-Warranty-Signature": signature(secret, timestamp, raw),
        "X-Warranty-Message-Id": message_id,
    }


def backoff(attempts: int, rng: random.Random = random._inst) -> dt.timedelta:  # noqa: SLF001
    """The wait after the `attempts`-th failed try: base x 2^(attempts-1), at most the cap,
    times a random factor in [0.5, 1) (jitter: retries of many messages spread out)."""
    base, cap = settings.CALLBACK_RETRY_BASE_SECONDS, settings.CALLBACK_RETRY_MAX_SECONDS
    delay = min(cap, base * 2 ** min(attempts - 1, 30))
    return dt.timedelta(seconds=delay * rng.uniform(0.5, 1.0))


def due(now: dt.datetime):
    """Pending, its next try come, and no earlier message about the same thing undelivered."""
    earlier = Message.objects.filter(key=OuterRef("key"), seq__lt=OuterRef("seq")).exclude(
        status=MessageStatus.DELIVERED
    )
    return (
        Message.objects.filter(status=MessageStatus.PENDING, next_attempt_at__lte=now)
        .exclude(Exists(earlier))
        .order_by("next_attempt_at", "seq")
    )


def post(client: httpx.Client, target: Target, message: Message) -> tuple[int | None, str]:
    """One signed POST of the frozen body: (status code or None, answer or error)."""
    raw = message.body.encode()
    headers = signed_headers(target.secret, raw, str(message.message_id))
    try:
        response = client.post(target.url, content=raw, headers=headers)
    except httpx.TimeoutException as error:
        return None, f"timeout: {type(error).__name__}"
    except httpx.HTTPError as error:
        return None, f"{type(error).__name__}: {error}"[:ANSWER_EXCERPT]
    return response.status_code, response.text[:ANSWER_EXCERPT]


def _record(message: Message, code: int | None, answer: str, now: dt.datetime, result) -> None:
    message.attempts += 1
    message.last_attempt_at = now
    message.last_status_code = code
    message.last_answer = answer
    if code is not None and 200 <= code < 300:
        message.status = MessageStatus.DELIVERED
        message.delivered_at = now
        result.delivered += 1
    elif now >= message.retry_until:
        message.status = MessageStatus.DEAD
        result.dead += 1
    else:
        message.next_attempt_at = min(now + backoff(message.attempts), message.retry_until)
        result.retrying += 1


@contextlib.contextmanager
def _batch_transaction():
    """A transaction holding the batch's locks: row locks on PostgreSQL, the database's
    write lock from the start on SQLite (workers take turns there)."""
    immediate = connection.vendor == "sqlite" and not connection.in_atomic_block
    if immediate:
        connection.ensure_connection()
        mode, connection.transaction_mode = connection.transaction_mode, "IMMEDIATE"
    try:
        with transaction.atomic():
            yield
    finally:
        if immediate:
            connection.transaction_mode = mode


def deliver_batch(client: httpx.Client, target: Target, *, size: int = BATCH) -> DeliveryResult:
    """Lock up to `size` due messages (skipping those another worker holds), post each,
    record the outcomes, commit. After a timeout or a refused connection the batch stops
    there: a receiver that is down costs one timeout per batch, not one per message."""
    result = DeliveryResult()
    with _batch_transaction():
        locked = due(timezone.now()).select_for_update(skip_locked=True, of=("self",))
        tried = []
        for message in locked[:size]:
            code, answer = post(client, target, message)
            _record(message, code, answer, timezone.now(), result)
            tried.append(message)
            if code is None:  # down or hanging: the rest of the batch waits for the next turn
                break
        if tried:
            Message.objects.bulk_update(tried, UPDATED)
    return result


def deliver_due(
    *, target: Target | None = None, limit: int | None = None, size: int = BATCH
) -> DeliveryResult:
    """Post the due messages, a batch at a time, until none is due (or `limit` attempts).
    Nothing is sent while no callback URL is configured: the messages wait."""
    target = target or Target()
    total = DeliveryResult()
    if not target.url:
        return total
    with target.client() as client:
        while limit is None or total.attempted < limit:
            size_now = size if limit is None else min(size, limit - total.attempted)
            batch = deliver_batch(client, target, size=size_now)
            if not batch.attempted:
                break
            total.delivered += batch.delivered
            total.retrying += batch.retrying
            total.dead += batch.dead
    return total


def deliver_for(seconds: float, *, target: Target | None = None, idle: float = 0.2):
    """A worker's turn: deliver what is due, look again every `idle` seconds, for `seconds`
    (the scheduler enqueues the next turn before this one ends)."""
    end = time.monotonic() + seconds
    target = target or Target()
    total = DeliveryResult()
    while target.url:
        batch = deliver_due(target=target)
        total.delivered += batch.delivered
        total.retrying += batch.retrying
        total.dead += batch.dead
        if time.monotonic() >= end:
            return total
        if not batch.attempted:
            time.sleep(idle)
    return total
