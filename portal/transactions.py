"""Transactions of the write services, and the event API's per-batch read cache.

Outside the event API a service is its own transaction (or a savepoint when nested).
Inside one platform event the whole event is one unit (R83): its own transaction, or one
savepoint in its chunk's transaction (platform_api.batch); a failing service fails the
event, so nested services need no savepoints of their own (each costs two round trips on
the hot path). Read-mostly lookups (a shop's enrollment periods and rates, the claim
settings, the shop's payout account) are cached for the length of one batch.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, contextmanager
from contextvars import ContextVar
from functools import wraps

from django.db import transaction

_in_event: ContextVar[bool] = ContextVar("in_platform_event", default=False)
_batch_cache: ContextVar[dict | None] = ContextVar("platform_batch_cache", default=None)


_service_scopes: list[Callable[[], AbstractContextManager]] = []


def service_scope(factory: Callable[[], AbstractContextManager]):
    """Run every write service inside `factory()`, itself inside the service's transaction:
    `claims.rollups.deferred` registers itself, so a service's rollup deltas are written
    once, at its end, in one lock order (issue 10)."""
    if factory not in _service_scopes:
        _service_scopes.append(factory)
    return factory


def service(func: Callable) -> Callable:
    """@transaction.atomic for a write service; no savepoint inside a platform event."""

    @wraps(func)
    def wrapped(*args, **kwargs):
        with transaction.atomic(savepoint=not _in_event.get()), ExitStack() as scopes:
            for scope in _service_scopes:
                scopes.enter_context(scope())
            return func(*args, **kwargs)

    return wrapped


@contextmanager
def platform_event():
    """One event's transaction (a savepoint inside a chunk's): services inside it share it
    without savepoints of their own."""
    token = _in_event.set(True)
    try:
        with transaction.atomic():
            yield
    finally:
        _in_event.reset(token)


@contextmanager
def batch_cache():
    token = _batch_cache.set({})
    try:
        yield
    finally:
        _batch_cache.reset(token)


def cached(key, compute: Callable):
    """compute() once per batch (every time outside one)."""
    cache = _batch_cache.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]
