"""`db_worker` (django-tasks-db) that holds a PostgreSQL advisory lock on its worker id while
it runs (issue 14), so that the scheduler can tell a task left RUNNING by a killed worker
(its lock is free) from one still running, and run it again (`portal.singleton`).

Run it instead of `db_worker`, on as many machines as needed; the options are db_worker's.
The id is made unique per process (`<--worker-id or host>-<pid>`), so a worker restarted
under the same name does not hide the tasks its dead predecessor left.
"""

import os
import socket

from django.core.management.base import CommandError
from django_tasks_db.management.commands import db_worker

from portal.singleton import Singleton, worker_lock_key


class Command(db_worker.Command):
    help = "Run tasks like db_worker, holding a lock on the worker id (tasks of a dead one rerun)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(worker_id=socket.gethostname()[:40])

    def handle(self, *args, worker_id, **options):
        worker_id = f"{worker_id}-{os.getpid()}"[:64]
        lock = Singleton(key=worker_lock_key(worker_id))
        if not lock.acquire():
            raise CommandError(f"another worker holds the id {worker_id}")
        try:
            super().handle(*args, worker_id=worker_id, **options)
        finally:
            lock.release()
