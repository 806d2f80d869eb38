"""The periodic jobs, enqueued on Django's tasks framework for `manage.py db_worker` to run.

- every 5 minutes: the deadline sweep (R33, R38, R91)
- every day at 02:15 Asia/Shanghai: risk repricing of enrolled shops (R51)
- every minute: a turn of callback delivery to the marketplace (R110-R113): each turn
  delivers for 55 s, looking for due messages several times a second; several workers may
  run turns at once (SKIP LOCKED)

Start it on one node or several (issue 14): only the one holding the scheduler's advisory
lock (`portal/singleton.py`) enqueues; the others wait and take over when it stops. (Or use
cron with the same commands on one machine: see README.) The jobs are idempotent, so a
duplicate enqueue after a restart does no harm.
"""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.clock import SHANGHAI
from portal.singleton import Singleton, requeue_orphaned_tasks

SWEEP_EVERY = dt.timedelta(minutes=5)
REPRICE_AT = dt.time(2, 15)
LOCK_RETRY_SECONDS = 5
DELIVER_EVERY = dt.timedelta(minutes=1)


def due_jobs(now: dt.datetime, last: dict) -> list[str]:
    """Which jobs are due at `now`, given when each last ran (updated in place)."""
    jobs = []
    if last.get("sweep") is None or now - last["sweep"] >= SWEEP_EVERY:
        jobs.append("sweep")
        last["sweep"] = now
    if last.get("deliver") is None or now - last["deliver"] >= DELIVER_EVERY:
        jobs.append("deliver")
        last["deliver"] = now
    local = now.astimezone(SHANGHAI)
    today_at = dt.datetime.combine(local.date(), REPRICE_AT, tzinfo=SHANGHAI)
    if local >= today_at and (last.get("reprice") is None or last["reprice"] < today_at):
        jobs.append("reprice")
        last["reprice"] = now
    return jobs


class Command(BaseCommand):
    help = (
        "Enqueue the periodic jobs (deadline sweep every 5 min, repricing daily at 02:15, "
        "callback delivery every minute)."
    )

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
        from claims.tasks import sweep_deadlines_task
        from enrollment.tasks import reprice_shops_task
        from outbox.tasks import deliver_callbacks_task

        tasks = {
            "sweep": sweep_deadlines_task,
            "reprice": reprice_shops_task,
            "deliver": deliver_callbacks_task,
        }
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
