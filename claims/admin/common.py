"""What the claims app's admin pages share: evidence thumbnails and the read-only admin."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join


def evidence_thumbnails(evidence_list) -> str:
    if not evidence_list:
        return "—"
    return format_html_join(
        " ",
        '<a href="{}" target="_blank" rel="noopener" title="{}">'
        '<img src="{}?size=thumb" alt="{}" style="max-height:120px;border:1px solid #ccc"></a>',
        (
            (
                reverse("claims:evidence", args=[e.pk]),
                e.original_name,
                reverse("claims:evidence", args=[e.pk]),
                e.original_name,
            )
            for e in evidence_list
        ),
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        """Every field shown, none a form field: no select of every claim or order to build
        (and the claim's, ordered by the queue's rank, is not a plain queryset's order)."""
        extra = [f for f in self.readonly_fields if f not in self._model_fields()]
        return [*self._model_fields(), *extra]

    def _model_fields(self):
        return [f.name for f in self.model._meta.concrete_fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
