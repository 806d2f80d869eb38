"""What the claims app's admin pages share: evidence thumbnails (the read-only admin is
portal.admin_kit's)."""

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
