"""The periodic jobs, enqueued on Django's tasks framework for `manage.py db_worker` to run.

Each app declares its own (`portal.periodic`, in its AppConfig.ready); today:
- every 5 minutes: the deadline sweep (R33, R38, R91; claims.apps)
- every day at 02:15 Asia/Shanghai: risk repricing of enrolled shops (R51; enrollment.apps)
- every minute: a turn of callback delivery to the marketplace (R110-R113; outbox.apps):
  each turn delivers for 55 s, looking for due messages several times a second; several
  workers may run turns at once (SKIP LOCKED)

Start it on one node or several (issue 14): only the one holding the scheduler's advisory
lock (`portal/singleton.py`) enqueues; the others wait and take over when it stops. (Or use
cron with the same commands on one machine: see README.) The jobs are idempotent, so a
duplicate enqueue after a restart does no harm.
"""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal import periodic
from portal.singleton import Singleton, requeue_orphaned_tasks

LOCK_RETRY_SECONDS = 5


def due_jobs(now: dt.datetime, last: dict) -> list[str]:
    """Which jobs are due at `now`, given when each last ran (updated in place)."""
    due = []
    for job in periodic.jobs():
        if job.due(now, last.get(job.name)):
            due.append(job.name)
            last[job.name] = now
    return due


class Command(BaseCommand):
    help = "Enqueue the periodic jobs the apps declare (portal.periodic), each when it is due."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="enqueue what is due, then exit")

    def handle(self, *args, once, **options):
        lock = Singleton()
        try:
            if not self.wait_for(lock, once=once):
                self.stdout.write("another scheduler holds the lock: nothing enqueued")
                return
            self.run(lock, once=once)
        finally:
            lock.release()

    def wait_for(self, lock: Singleton, *, once: bool) -> bool:
        told = False
        while not lock.acquire():
            if once:
                return False
            if not told:
                self.stdout.write("another scheduler holds the lock: standing by")
                told = True
            time.sleep(LOCK_RETRY_SECONDS)
        if told:
            self.stdout.write("took over the scheduler lock")
        return True

    def run(self, lock: Singleton, *, once: bool) -> None:
        for job in periodic.jobs():
            when = f"every {job.every}" if job.every else f"daily at {job.daily_at:%H:%M}"
            self.stdout.write(f"job {job.name}: {when} ({job.what})")
        tasks = {job.name: job.task for job in periodic.jobs()}
        last: dict = {}
        while True:
            if not lock.alive():
                # Another node may hold it by now: stop, to be restarted (and wait) again.
                raise CommandError("lost the scheduler lock (database connection closed)")
            for task_id in requeue_orphaned_tasks():  # left RUNNING by a killed worker
                self.stdout.write(f"{timezone.now():%Y-%m-%d %H:%M:%S} requeued task {task_id}")
            for job in due_jobs(timezone.now(), last):
                result = tasks[job].enqueue()
                self.stdout.write(
                    f"{timezone.now():%Y-%m-%d %H:%M:%S} enqueued {job} ({result.id})"
                )
            if once:
                return
            time.sleep(15)
