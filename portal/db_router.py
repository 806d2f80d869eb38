"""Reads on a streaming replica, writes on the primary (issue 14).

With `DATABASE_REPLICA_URL` set, the settings add a `replica` alias (a PostgreSQL hot
standby) and name it in `DATABASE_REPLICA`. Then:

- A merchant page's GET (and the marketplace's read-back, `GET /api/v1/orders/…`,
  `/refunds/…`) reads from the replica: `ReplicaReadsMiddleware` opens a `replica_reads()`
  scope for it, and `PrimaryReplicaRouter.db_for_read` answers the replica inside it.
- Every write goes to the primary, and so does every read inside a transaction on the
  primary (`in_atomic_block`: a service that locks, reads and writes sees its own rows),
  every read outside the scope (admin, workers, commands), and the session and task tables.
- Read-your-writes: after a POST (a merchant's form, the marketplace's event batch) the
  middleware stores the primary's WAL position (`pg_current_wal_lsn()`) in the shared cache
  under that browser session (or "platform" for the event API). Until the replica has
  replayed past it (`pg_last_wal_replay_lsn() >= pin`), that session reads from the primary.
- A replica that is down or lags more than `DATABASE_REPLICA_MAX_LAG` seconds is skipped:
  the pages read from the primary, a warning is logged when it goes and when it comes back,
  and a page whose replica query fails half-way is rendered again on the primary.

Without a replica (`DATABASE_REPLICA = None`) the router answers "default" for everything
and the middleware only passes the request on: one database, exactly as before.
"""

import contextlib
import contextvars
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

log = logging.getLogger("portal.db_router")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Replication positions: PostgreSQL's WAL functions, no ORM equivalent; the only value (an
# LSN the primary gave) is a query parameter.
PRIMARY_LSN = "SELECT pg_current_wal_lsn()"
REPLAYED = "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn"
REPLAY_LAG = (
    "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()),"
    " extract(epoch FROM now() - pg_last_xact_replay_timestamp())"
)
# WAL the replica may be behind by without being judged by its last commit's age: with no
# recent commit (a quiet, read-only while) a checkpoint record alone would look like lag.
SMALL_GAP_BYTES = 1 << 20
# Tables every node reads straight after writing them (sessions, the task queue).
PRIMARY_ONLY_APPS = frozenset({"sessions", "django_tasks_db"})
PIN_PREFIX = "db-router:pin:"

_replica_reads = contextvars.ContextVar("replica_reads", default=False)


def replica_alias() -> str | None:
    return getattr(settings, "DATABASE_REPLICA", None)


@contextlib.contextmanager
def replica_reads(allowed: bool = True):
    """Inside this scope, reads outside a transaction may go to the replica."""
    token = _replica_reads.set(allowed)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class PrimaryReplicaRouter:
    """The decision for each query; the middleware decides whether a request may use the
    replica at all (path, method, pin, health)."""

    def db_for_read(self, model, **hints):
        alias = replica_alias()
        if (
            alias is None
            or not _replica_reads.get()
            or model._meta.app_label in PRIMARY_ONLY_APPS
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            # "default" explicitly, not None: Django would fall back to the database an
            # instance was read from (the replica) for its related objects.
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same rows on both databases

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != replica_alias()  # a hot standby is read-only: it replays the primary


# --- replica health: per process, rechecked at most once a second ---


class ReplicaHealth:
    """Is the replica up and no further behind than the bound? Logged when that changes.

    `probe()` answers the replica's lag in seconds: 0 when it has replayed (nearly, within
    SMALL_GAP_BYTES) everything the primary has written, else the age of the last commit it
    replayed; it raises when the replica cannot be reached. Tests replace it."""

    CHECK_EVERY = 1.0
    DOWN_RECHECK = 5.0

    def __init__(self):
        self.reset()

    def reset(self):
        self.usable, self.next_check, self.reason = None, 0.0, ""

    def probe(self) -> float:
        primary_lsn = primary_lsn_now()
        connection = connections[replica_alias()]
        with connection.cursor() as cursor:
            cursor.execute(REPLAY_LAG, [primary_lsn])
            behind, age = cursor.fetchone()
        if behind is None:
            return float("inf")  # not replaying at all
        if behind <= SMALL_GAP_BYTES:
            return 0.0
        return float("inf") if age is None else float(age)

    def is_usable(self) -> bool:
        now = time.monotonic()
        if now < self.next_check and self.usable is not None:
            return self.usable
        try:
            lag = self.probe()
        except (OperationalError, InterfaceError) as error:
            self.mark_down(f"unreachable ({_first_line(error)})")
            return False
        bound = settings.DATABASE_REPLICA_MAX_LAG
        if lag > bound:
            self._set(False, f"lagging {lag:.1f} s > {bound} s", now + self.CHECK_EVERY)
        else:
            self._set(True, "", now + self.CHECK_EVERY)
        return self.usable

    def mark_down(self, reason: str) -> None:
        alias = replica_alias()
        if alias is not None:
            with contextlib.suppress(Exception):
                connections[alias].close()
        self._set(False, reason, time.monotonic() + self.DOWN_RECHECK)

    def _set(self, usable: bool, reason: str, next_check: float) -> None:
        changed = usable != self.usable or (
            not usable and reason.split()[0] != self.reason.split()[0]
        )
        if changed and not (usable and self.usable is None):  # not "back" on the first check
            if usable:
                log.warning("read replica %r back in use", replica_alias())
            else:
                log.warning(
                    "read replica %r skipped, reads go to the primary: %s", replica_alias(), reason
                )
        self.usable, self.reason, self.next_check = usable, reason, next_check


health = ReplicaHealth()


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [error.__class__.__name__])[0][:200]


# --- read-your-writes pins ---


def primary_lsn_now() -> str:
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute(PRIMARY_LSN, ())
        return str(cursor.fetchone()[0])


def primary_lsn() -> str:
    """The primary's WAL position after a write: what the replica must have replayed."""
    return primary_lsn_now()


def replica_has_replayed(lsn: str) -> bool:
    connection = connections[replica_alias()]
    with connection.cursor() as cursor:
        cursor.execute(REPLAYED, [lsn])
        return bool(cursor.fetchone()[0])


def pin_key(request, *, after_response: bool = False) -> str | None:
    """Whose writes must be read back: the marketplace's, or this browser session's."""
    if request.path_info.startswith("/api/"):
        return PIN_PREFIX + "platform"
    if after_response and hasattr(request, "session"):
        session_key = request.session.session_key  # a login has just rotated it
    else:
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    return PIN_PREFIX + session_key if session_key else None


class ReplicaReadsMiddleware:
    """Outermost middleware: decides per request whether its reads may use the replica,
    and pins a session to the primary after its writes (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if replica_alias() is None:
            return self.get_response(request)
        if request.method not in SAFE_METHODS:
            response = self.get_response(request)
            if response.status_code < 500:
                self.pin(request)
            return response
        if not (
            request.path_info.startswith(settings.DATABASE_REPLICA_PATHS) and self.allowed(request)
        ):
            return self.get_response(request)
        request.replica_reads = True
        with replica_reads():
            return self.get_response(request)

    def allowed(self, request) -> bool:
        if not health.is_usable():
            return False
        key = pin_key(request)
        lsn = cache.get(key) if key else None
        if lsn is None:
            return True
        try:
            replayed = replica_has_replayed(lsn)
        except (OperationalError, InterfaceError) as error:
            health.mark_down(f"unreachable ({_first_line(error)})")
            return False
        if replayed:
            cache.delete(key)
        return replayed

    def pin(self, request) -> None:
        key = pin_key(request, after_response=True)
        if key is None:
            return
        try:
            lsn = primary_lsn()
        except (OperationalError, InterfaceError):
            return  # the primary is gone: nothing was written to read back
        cache.set(key, lsn, timeout=settings.DATABASE_REPLICA_PIN_SECONDS)

    def process_exception(self, request, exception):
        """A replica that fails half-way through a page: mark it down, render it again on
        the primary (a GET, so running the view twice changes nothing)."""
        if not getattr(request, "replica_reads", False) or not isinstance(
            exception, (OperationalError, InterfaceError)
        ):
            return None
        health.mark_down(f"failed during {request.path_info} ({_first_line(exception)})")
        request.replica_reads = False
        _replica_reads.set(False)  # undone when the request's replica_reads() scope ends
        match = request.resolver_match
        return match.func(request, *match.args, **match.kwargs)
