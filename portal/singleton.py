"""One process of a kind across every node (issue 14): a PostgreSQL advisory lock.

`manage.py scheduler` may be started on any number of nodes; the one that holds the lock
enqueues the periodic jobs, the others wait and take over when it dies (its connection
closes, PostgreSQL releases the lock). The lock is session-level, so it is taken on a
connection of its own straight to the primary (`DATABASE_DIRECT_URL`; by default the
connection settings of `default`): PgBouncer in transaction mode would hand the session to
other clients between transactions. On SQLite (one machine) there is nothing to share.
"""

import contextlib
import hashlib
import os

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

SCHEDULER_LOCK = 0x57A4_5C4E  # an arbitrary 32-bit key: "the scheduler"
TRY_LOCK = "SELECT pg_try_advisory_lock(%s)"  # no ORM equivalent; the key is a parameter
PING = "SELECT 1"
UNLOCK_ALL = "SELECT pg_advisory_unlock_all()"


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
                # At once (a closed session's locks go only when its backend has exited).
                self.conn.execute(UNLOCK_ALL, ())
            with contextlib.suppress(Exception):
                self.conn.close()
            self.conn = None


# --- workers: a task left RUNNING by a worker that died is run again ---

PROBE = "SELECT pg_try_advisory_lock(%s)"
UNLOCK = "SELECT pg_advisory_unlock(%s)"


def worker_lock_key(worker_id: str) -> int:
    """A signed 64-bit advisory-lock key for a worker id."""
    digest = hashlib.blake2b(worker_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def requeue_orphaned_tasks() -> list[str]:
    """Tasks RUNNING on a worker that holds no lock any more (killed: its session ended) go
    back to READY for another worker. A live worker (`manage.py task_worker`) holds the lock
    on its id from before it claims anything, so a task it runs is never run twice at once.
    Returns the ids requeued. PostgreSQL only."""
    from django_tasks_db.models import DBTaskResult, TaskResultStatus

    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return []
    running = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).values_list("id", "worker_ids")
    )
    if not running:
        return []
    probe, requeued = Singleton(), []
    try:
        probe.conn = probe._connect()
        for task_id, worker_ids in running:
            key = worker_lock_key(worker_ids[-1]) if worker_ids else None
            if key is None or not probe.conn.execute(PROBE, [key]).fetchone()[0]:
                continue  # its worker is alive (or it was claimed without an id)
            probe.conn.execute(UNLOCK, [key])
            if DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY
            ):
                requeued.append(str(task_id))
    finally:
        probe.release()
    return requeued
