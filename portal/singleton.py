"""One process of a kind across every node (issue 14): a PostgreSQL advisory lock.

`manage.py scheduler` may be started on any number of nodes; the one that holds the lock
enqueues the periodic jobs, the others wait and take over when it dies (its connection
closes, PostgreSQL releases the lock). The lock is session-level, so it is taken on a
connection of its own straight to the primary (`DATABASE_DIRECT_URL`; by default the
connection settings of `default`): PgBouncer in transaction mode would hand the session to
other clients between transactions. On SQLite (one machine) there is nothing to share.
"""

import contextlib
import os

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

SCHEDULER_LOCK = 0x57A4_5C4E  # an arbitrary 32-bit key: "the scheduler"
TRY_LOCK = "SELECT pg_try_advisory_lock(%s)"  # no ORM equivalent; the key is a parameter
PING = "SELECT 1"


class LockLost(RuntimeError):
    pass


class Singleton:
    """`acquire()` → True if this process now holds the lock; `alive()` checks it still
    does (its connection is up). `release()` gives it back."""

    def __init__(self, key: int = SCHEDULER_LOCK):
        self.key, self.conn = key, None

    @property
    def shared(self) -> bool:
        return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"

    def _connect(self):
        import psycopg

        name = f"scheduler pid {os.getpid()}"  # who holds it: pg_locks join pg_stat_activity
        direct = getattr(settings, "DATABASE_DIRECT_URL", "")
        if direct:
            return psycopg.connect(direct, autocommit=True, application_name=name)
        params = connections[DEFAULT_DB_ALIAS].get_connection_params()
        return psycopg.connect(**params, autocommit=True, application_name=name)

    def acquire(self) -> bool:
        if not self.shared:
            return True
        if self.conn is None or self.conn.closed:
            self.conn = self._connect()
        held = self.conn.execute(TRY_LOCK, [self.key]).fetchone()[0]
        return bool(held)

    def alive(self) -> bool:
        if not self.shared:
            return True
        try:
            self.conn.execute(PING, ())
        except Exception:
            return False
        return True

    def release(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()  # closing the session releases its advisory locks
            self.conn = None
