"""R113: staff see every message to the marketplace (status, attempts, next try, last answer),
filter by type, status and refund, and resend one or many; the admin index counts the dead
ones. Finance and claim reviewers each see the types of their area (R101)."""

import json
import uuid

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from outbox.models import Message
from outbox.selectors import messages_for_staff
from outbox.services import messages_resend
from portal.admin_kit import ReadOnlyAdmin

# The index shows the dead messages first thing (templates/admin/outbox_index.html).
admin.site.index_template = "admin/outbox_index.html"


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = [
        "message_id",
        "type",
        "about",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "answer_excerpt",
        "occurred_at",
    ]
    list_filter = ["type", "status", "last_status_code"]
    search_fields = ["key"]  # see get_search_results
    search_help_text = _("A refund id (R1…), order:<id>, buyer:<id> or a message id.")
    actions = ["resend"]
    list_per_page = 100
    show_full_result_count = False
    fields = [
        "message_id",
        "type",
        "key",
        "status",
        "attempts",
        "occurred_at",
        "created_at",
        "next_attempt_at",
        "retry_until",
        "last_attempt_at",
        "delivered_at",
        "last_status_code",
        "last_answer",
        "pretty_body",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return messages_for_staff(request.user)

    def has_resend_permission(self, request):
        return request.user.has_perm("outbox.resend_message")

    @admin.display(description=pgettext_lazy("outbox", "about"), ordering="key")
    def about(self, obj):
        if obj.refund_id:
            return format_html('<a href="?key={}">{}</a>', obj.key, obj.key)
        return obj.key

    @admin.display(description=_("last answer"))
    def answer_excerpt(self, obj):
        text = obj.last_answer or ""
        return text if len(text) <= 60 else f"{text[:60]}…"

    @admin.display(description=pgettext_lazy("outbox", "body"))
    def pretty_body(self, obj):
        pretty = json.dumps(json.loads(obj.body), ensure_ascii=False, indent=2)
        return format_html("<pre>{}</pre>", pretty)

    @admin.action(description=_("Resend the selected messages now"), permissions=["resend"])
    def resend(self, request, queryset):
        count = messages_resend(messages=queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d message will be sent again.",
                "%(count)d messages will be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    def get_search_results(self, request, queryset, search_term):
        """A message id, `order:<id>` / `buyer:<id>`, or a bare refund id (R1…)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(message_id=uuid.UUID(term)), False
        except ValueError:
            pass
        return queryset.filter(key=term if ":" in term else f"refund:{term}"), False

    def lookup_allowed(self, lookup, value, request=None):
        return lookup == "key" or super().lookup_allowed(lookup, value, request)
