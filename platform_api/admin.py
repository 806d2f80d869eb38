"""The applied platform events (R82), read-only for the insurer's staff (issue 11)."""

from django.contrib import admin

from platform_api.models import PlatformEvent


@admin.register(PlatformEvent)
class PlatformEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "type", "occurred_at", "applied_at"]
    list_filter = ["type"]
    search_fields = ["=event_id"]
    show_full_result_count = False
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
