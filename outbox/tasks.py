"""R113: delivery runs on the tasks framework (`manage.py db_worker`), enqueued by the
scheduler (`manage.py scheduler`): each turn delivers for a while, then ends."""

from django.tasks import task

TURN_SECONDS = 55  # the scheduler enqueues a turn a minute: one ends as the next begins


@task
def deliver_callbacks_task(seconds: float = TURN_SECONDS) -> dict:
    from outbox.delivery import deliver_for

    result = deliver_for(seconds)
    return {"delivered": result.delivered, "retrying": result.retrying, "dead": result.dead}
