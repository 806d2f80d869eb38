import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

DELIVER_EVERY = dt.timedelta(minutes=1)  # R113: a turn of delivery a minute (outbox.tasks)


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = _("Messages to the marketplace")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # R112: every announced change writes its messages in the change's transaction.
        from outbox.services import outbox_record_changes
        from outbox.tasks import deliver_callbacks_task
        from portal import changes, periodic

        changes.listen(outbox_record_changes)
        periodic.register(
            periodic.Job(
                "deliver", deliver_callbacks_task, every=DELIVER_EVERY, what="R113 callbacks"
            )
        )
