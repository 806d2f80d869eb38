from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Merchant notifications")

    def ready(self):
        from claims.services import sweep
        from notifications.deadlines import receipt_deadlines_notify
        from notifications.selectors import unread_count_sql
        from notifications.services import notifications_record_changes
        from portal import changes
        from portal.auth import SESSION_USER

        # issue 11: every change the merchant is told of, in the change's transaction
        changes.listen(notifications_record_changes)
        # R34/R38: a receipt deadline coming is told at each sweep
        sweep.also_at_each_sweep(receipt_deadlines_notify)
        # the navigation's unread count, read with the session's user (issue 10)
        SESSION_USER.read_with_shop("unread_notifications", unread_count_sql)
