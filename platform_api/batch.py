"""R80-R83: the batch planner and applier of the event API.

A batch is cut into chunks: consecutive events of one type, no event id twice (R82: a
repeated id waits for the chunk that applies the first one). Each chunk is applied by the
first of three strategies that commits:

1. set-based (`platform_api.bulk`): everything the chunk names is read in a few queries,
   every event is checked in memory, and the events that pass are written with a few
   multi-row statements, in one transaction;
2. one transaction for the chunk with a savepoint per event (`SAVEPOINT` costs a round
   trip, a commit a WAL flush: bench/RESULTS.md);
3. one transaction per event, as before batching (portal.transactions.platform_event).

Any database error of a strategy (a concurrent request holding the same event id or order,
a deadlock between two batches, a constraint) rolls its whole chunk back, discards the
evidence files it wrote, and hands the chunk to the next strategy; so an event is applied
exactly once or rejected without trace (R83), whichever strategy answers, and the events
before and after it are not blocked. Every strategy commits before the response is sent:
an "applied" answer is durable.
"""

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, OperationalError, transaction

from claims import rollups
from claims.services.evidence import evidence_discard
from platform_api import bulk
from platform_api.handlers import HANDLERS
from platform_api.models import PlatformEvent
from platform_api.schemas import EventError, parse_event, text_problem
from portal.transactions import batch_cache, platform_event

logger = logging.getLogger(__name__)

APPLIED, DUPLICATE, REJECTED = "applied", "duplicate", "rejected"
CONFLICT = "conflicts with a concurrent write; send it again"
INTERNAL = "internal error while applying the event; retry later"


@dataclass
class Result:
    id: str | None
    status: str
    error: str | None = None

    def as_dict(self) -> dict:
        out = {"id": self.id, "status": self.status}
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class Item:
    """One parsed event of the batch, at its position."""

    index: int
    event_id: str
    type: str
    occurred_at: object
    data: dict
    stored: list[str] = field(default_factory=list)  # evidence files written for it


class _ChunkFailed(Exception):
    """A database error that rolls the chunk back: the next strategy applies it."""


class _Duplicate(Exception):
    pass


# --- planning ---


def _raw_id(raw) -> str | None:
    value = raw.get("id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


def _applied_before(raw_events: list) -> set[str]:
    """R82: the batch's ids applied by earlier requests, in one query."""
    ids = [i for i in (_raw_id(r) for r in raw_events) if i and not text_problem(i)]
    return set(PlatformEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True))


def plan(raw_events: list, seen: set[str], results: list) -> list[Item]:
    """Parse every event; duplicates and malformed events are answered here (R82, R83)."""
    items = []
    for index, raw in enumerate(raw_events):
        event_id = _raw_id(raw)
        if event_id in seen:
            results[index] = Result(event_id, DUPLICATE)
            continue
        try:
            event_id, event_type, occurred_at, data = parse_event(raw)
        except EventError as error:
            results[index] = Result(event_id, REJECTED, str(error))
            continue
        items.append(Item(index, event_id, event_type, occurred_at, data))
    return items


def chunks(items: list[Item]) -> list[list[Item]]:
    """Consecutive events of one type, an event id at most once per chunk (order kept)."""
    out: list[list[Item]] = []
    ids: set[str] = set()
    for item in items:
        if not out or out[-1][0].type != item.type or item.event_id in ids:
            out.append([])
            ids = set()
        out[-1].append(item)
        ids.add(item.event_id)
    return out


# --- applying ---


def apply_events(raw_events: list) -> list[Result]:
    """R80-R83: a result per event, in the batch's order."""
    results: list[Result | None] = [None] * len(raw_events)
    seen = _applied_before(raw_events)
    with batch_cache():
        for chunk in chunks(plan(raw_events, seen, results)):
            apply_chunk(chunk, seen, results)
    return results


def apply_chunk(chunk: list[Item], seen: set[str], results: list) -> None:
    pending = [item for item in chunk if item.event_id in seen]  # applied by an earlier chunk
    for item in pending:
        results[item.index] = Result(item.event_id, DUPLICATE)
    chunk = [item for item in chunk if item.event_id not in seen]
    if not chunk:
        return
    for strategy in strategies_for(chunk):
        try:
            outcome = strategy(chunk)
        except _ChunkFailed as failure:
            logger.info("chunk of %d %s: %s; next strategy", len(chunk), chunk[0].type, failure)
            _discard(chunk)
            continue
        break
    for item, result in zip(chunk, outcome, strict=True):
        results[item.index] = result
        if result.status == APPLIED:
            seen.add(item.event_id)


def strategies_for(chunk: list[Item]) -> list:
    """The strategies to try, in order (module docstring); the last one always answers."""
    if chunk and chunk[0].type in bulk.APPLIERS:
        return [_set_based, _savepoint_per_event, _transaction_per_event]
    return [_savepoint_per_event, _transaction_per_event]


def _discard(chunk: list[Item]) -> None:
    for item in chunk:
        evidence_discard(item.stored)
        item.stored.clear()


# --- strategy 1: set-based ---


def _set_based(chunk: list[Item]) -> list[Result]:
    """One transaction; the applier checks every event, then writes the good ones at once."""
    try:
        with transaction.atomic(), rollups.deferred():
            rejected = bulk.APPLIERS[chunk[0].type](chunk, record_applied)
            duplicates = _applied_meanwhile([i for i in chunk if i.index in rejected])
    except Exception as error:  # a database error or a bug: the next strategy decides
        raise _ChunkFailed(f"set-based: {error.__class__.__name__}: {error}") from error
    return [
        Result(i.event_id, DUPLICATE)
        if i.event_id in duplicates
        else Result(i.event_id, REJECTED, rejected[i.index])
        if i.index in rejected
        else Result(i.event_id, APPLIED)
        for i in chunk
    ]


def _applied_meanwhile(refused: list[Item]) -> set[str]:
    """R82: a refused event that a concurrent request applied while this chunk waited for
    its rows (the order it ships was locked by that request, then found shipped) is that
    request's duplicate, as the per-event path answers, not a rejection."""
    if not refused:
        return set()
    ids = [i.event_id for i in refused]
    return set(PlatformEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True))


def record_applied(items: list[Item]) -> None:
    """R82: the applied ids, first (a concurrent request with one of them waits, then fails).
    Sorted, so two batches take these row locks in one order."""
    PlatformEvent.objects.bulk_create(
        PlatformEvent(event_id=i.event_id, type=i.type, occurred_at=i.occurred_at)
        for i in sorted(items, key=lambda i: i.event_id)
    )


# --- strategy 2: one transaction, a savepoint per event ---


def _savepoint_per_event(chunk: list[Item]) -> list[Result]:
    try:
        with transaction.atomic(), rollups.deferred():
            return [_apply_in_savepoint(item) for item in chunk]
    except DatabaseError as error:  # the commit itself failed
        raise _ChunkFailed(f"savepoints: {error.__class__.__name__}: {error}") from error


def _apply_in_savepoint(item: Item) -> Result:
    try:
        return _apply_one(item)
    except DatabaseError as error:  # not a rejection of this event: roll the chunk back
        raise _ChunkFailed(f"{item.event_id}: {error.__class__.__name__}: {error}") from error


# --- strategy 3: one transaction per event ---


def _transaction_per_event(chunk: list[Item]) -> list[Result]:
    return [_apply_alone(item) for item in chunk]


def _apply_alone(item: Item, attempts: int = 2) -> Result:
    """One event, one transaction; a deadlock or serialization failure (OperationalError) is
    tried once more, in a new transaction. Nothing of a failed attempt stays (R83)."""
    for attempt in range(1, attempts + 1):
        try:
            return _apply_one(item)
        except OperationalError:
            _discard([item])
            if attempt < attempts:
                continue
            logger.exception("platform event %s (%s) failed", item.event_id, item.type)
        except DatabaseError:
            _discard([item])
            logger.exception("platform event %s (%s) failed", item.event_id, item.type)
            break
    return Result(item.event_id, REJECTED, INTERNAL)  # the platform sends it again


def _apply_one(item: Item) -> Result:
    """One event in its own transaction, or savepoint inside a chunk's (R83). Raises only a
    DatabaseError that is not about this event (the caller decides)."""
    try:
        with platform_event(), rollups.deferred():
            try:  # first: a concurrent request with the same id waits here, then fails
                PlatformEvent.objects.create(
                    event_id=item.event_id, type=item.type, occurred_at=item.occurred_at
                )
            except IntegrityError:  # applied by another request in the meantime
                raise _Duplicate from None
            HANDLERS[item.type](item.data, item.stored, item.occurred_at)
    except _Duplicate:
        return _failed(item, DUPLICATE)
    except ValidationError as error:
        return _failed(item, REJECTED, "; ".join(error.messages))
    except IntegrityError:  # a concurrent request wrote the same order or refund first
        return _failed(item, REJECTED, CONFLICT)
    except DatabaseError:  # the callers discard the chunk's (or the event's) evidence files
        raise
    except Exception:  # a bug must not block the rest of the batch
        logger.exception("platform event %s (%s) failed", item.event_id, item.type)
        return _failed(item, REJECTED, INTERNAL)
    return Result(item.event_id, APPLIED)


def _failed(item: Item, status: str, error: str | None = None) -> Result:
    evidence_discard(item.stored)
    item.stored.clear()
    return Result(item.event_id, status, error)
