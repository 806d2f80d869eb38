"""R91/R51: the scheduler enqueues the sweep every 5 minutes and repricing daily at 02:15."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection

from claims.tasks import sweep_deadlines_task
from enrollment.tasks import reprice_shops_task
from outbox.tasks import deliver_callbacks_task
from portal import periodic
from portal.clock import SHANGHAI
from portal.management.commands.scheduler import due_jobs
from portal.singleton import Singleton, requeue_orphaned_tasks, worker_lock_key


def at(h, m, day=1):
    return dt.datetime(2026, 12, day, h, m, tzinfo=SHANGHAI)


def test_each_app_declares_its_periodic_job_for_the_scheduler():
    jobs = {job.name: job for job in periodic.jobs()}

    assert {name: job.task for name, job in jobs.items()} == {
        "sweep": sweep_deadlines_task,  # claims.apps
        "deliver": deliver_callbacks_task,  # outbox.apps
        "reprice": reprice_shops_task,  # enrollment.apps
    }
    assert (jobs["sweep"].every, jobs["deliver"].every) == (
        dt.timedelta(minutes=5),
        dt.timedelta(minutes=1),
    )
    assert jobs["reprice"].daily_at == dt.time(2, 15)


def test_a_job_runs_either_at_an_interval_or_daily_not_both():
    with pytest.raises(ValueError, match="exactly one"):
        periodic.register(periodic.Job("both", sweep_deadlines_task))


def test_R91_the_sweep_runs_every_five_minutes():
    last: dict = {"reprice": at(2, 15)}
    assert "sweep" in due_jobs(at(9, 0), last)
    assert "sweep" not in due_jobs(at(9, 4), last)
    assert "sweep" in due_jobs(at(9, 5), last)


def test_R113_callback_delivery_gets_a_turn_every_minute():
    last: dict = {"reprice": at(2, 15), "sweep": at(9, 0)}
    assert due_jobs(at(9, 0), last) == ["deliver"]
    assert due_jobs(at(9, 0) + dt.timedelta(seconds=59), last) == []
    assert due_jobs(at(9, 1), last) == ["deliver"]


def test_R51_repricing_runs_once_a_day_after_02_15_shanghai():
    last: dict = {"sweep": at(0, 0, day=2)}
    assert "reprice" not in due_jobs(at(2, 14, day=2), last)
    assert "reprice" in due_jobs(at(2, 16, day=2), last)
    assert "reprice" not in due_jobs(at(23, 0, day=2), last)
    assert "reprice" in due_jobs(at(2, 15, day=3), last)


@pytest.mark.django_db
def test_the_command_enqueues_through_the_tasks_framework(capsys):
    call_command("scheduler", "--once")
    out = capsys.readouterr().out
    assert "enqueued sweep" in out


needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the scheduler's lock is a PostgreSQL advisory lock; run with DATABASE_URL=postgres://...",
)


@pytest.mark.postgres_only
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_issue14_only_one_scheduler_holds_the_lock_whichever_node_starts_it():
    first, second = Singleton(), Singleton()
    try:
        assert first.acquire()
        assert not second.acquire()
        first.release()  # the first node stops: its connection closes
        assert second.acquire()
        assert second.alive()
    finally:
        first.release()
        second.release()


@pytest.mark.postgres_only
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_issue14_a_second_scheduler_enqueues_nothing_while_the_first_holds_the_lock(capsys):
    running = Singleton()
    try:
        assert running.acquire()
        call_command("scheduler", "--once")
    finally:
        running.release()
    out = capsys.readouterr().out
    assert "another scheduler holds the lock" in out
    assert "enqueued sweep" not in out


def running_task(worker_id):
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.create(
        status="RUNNING",
        args_kwargs={"args": [], "kwargs": {}},
        task_path="claims.tasks.sweep_deadlines_task",
        backend_name="default",
        run_after=timezone.now(),
        worker_ids=[worker_id],
    )


@pytest.mark.postgres_only
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_issue14_a_task_left_running_by_a_killed_worker_runs_again_a_live_ones_does_not():
    alive = Singleton(key=worker_lock_key("node2-4242"))  # what task_worker holds while it runs
    try:
        assert alive.acquire()
        orphan, running = running_task("node1-1717"), running_task("node2-4242")
        assert requeue_orphaned_tasks() == [str(orphan.pk)]
        orphan.refresh_from_db()
        running.refresh_from_db()
        assert (orphan.status, running.status) == ("READY", "RUNNING")
    finally:
        alive.release()
