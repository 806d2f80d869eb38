"""The merchants' in-portal notifications in the insurer's admin (issue 11): read-only, for
staff with the view permission (notifications.view_notification; superusers), filtered by
kind, shop and read, newest first, in the staff's language."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from notifications.models import Notification
from portal.admin_kit import ReadOnlyAdmin


class ReadFilter(admin.SimpleListFilter):
    title = _("read")
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("yes", _("Read")), ("no", _("Unread"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(read_at__isnull=self.value() == "no")
        return queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "shop", "kind", "claim", "invoice", "due_at", "is_read"]
    list_filter = ["kind", "shop", ReadFilter]
    list_select_related = ["shop", "claim__refund", "invoice__shop"]
    show_full_result_count = False  # the list may be long: no second COUNT(*) of all rows

    @admin.display(description=_("read"), boolean=True)
    def is_read(self, obj: Notification) -> bool:
        return obj.read_at is not None
