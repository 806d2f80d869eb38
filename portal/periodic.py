"""The periodic jobs, as each app declares its own in its `AppConfig.ready` (the ground
imports no app above it): `manage.py scheduler` reads them here and enqueues each when due.

A job runs `every` so often, or once a day at `daily_at` (Asia/Shanghai). Jobs are
idempotent, so a duplicate enqueue after a restart does no harm.
"""

import datetime as dt
from dataclasses import dataclass

from portal.clock import SHANGHAI


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    task: object  # a django.tasks Task: `.enqueue()`
    every: dt.timedelta | None = None
    daily_at: dt.time | None = None  # Asia/Shanghai
    what: str = ""  # what it does, for the scheduler's help

    def due(self, now: dt.datetime, last: dt.datetime | None) -> bool:
        """Due at `now`, when it last ran at `last` (None: never)."""
        if self.every is not None:
            return last is None or now - last >= self.every
        local = now.astimezone(SHANGHAI)
        today_at = dt.datetime.combine(local.date(), self.daily_at, tzinfo=SHANGHAI)
        return local >= today_at and (last is None or last < today_at)


_jobs: dict[str, Job] = {}


def register(job: Job) -> Job:
    """Declare a periodic job (again under the same name: replaced, as a reload does)."""
    if (job.every is None) == (job.daily_at is None):
        raise ValueError(f"job {job.name!r}: give exactly one of every= and daily_at=")
    _jobs[job.name] = job
    return job


def jobs() -> list[Job]:
    """The jobs declared, those run at an interval first (each in the order declared)."""
    return sorted(_jobs.values(), key=lambda job: job.every is None)
