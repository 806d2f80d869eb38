from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = _("Messages to the marketplace")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # R112: every announced change writes its messages in the change's transaction.
        from outbox.services import outbox_record_changes
        from portal import changes

        changes.listen(outbox_record_changes)
