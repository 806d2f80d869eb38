"""CSV exports: streamed when small, prepared in the background when big (issue 10).

Every page goes through enrollment.scoping (R100): another shop's export is a 404, and the
file is served only through `export_download`, never from a public URL (R102).
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from enrollment.scoping import (
    merchant_required,
    private_file_owner_or_404,
    private_file_response,
    shop_get_or_404,
)
from exports import registry, start
from exports.models import CsvExport
from portal.csv_export import csv_response, more_rows_than
from portal.formkit import user_message
from portal.pagination import keyset_page

REFRESH_SECONDS = 2  # the preparing page reloads itself (a meta refresh: CSP allows no script)


def export_or_stream(request, kind: str, form_class=None):
    """A merchant view's export of `kind`, filtered by the fields of `form_class` in the
    query string: streamed now, or, past CSV_EXPORT_BACKGROUND_ROWS rows (counted up to that
    many), prepared by a background task while the merchant sees its progress."""
    fields = form_class.base_fields if form_class else {}
    params = {name: request.GET[name] for name in fields if name in request.GET}
    now = timezone.now()
    table = registry.build(kind, shop=request.shop, params=params, now=now)
    if not more_rows_than(table.rows, settings.CSV_EXPORT_BACKGROUND_ROWS):
        return csv_response(table)
    try:
        export = start.csv_export_start(
            shop=request.shop,
            actor=request.user,
            kind=kind,
            params=params,
            filename=table.filename,
            language=get_language(),
            now=now,
        )
    except ValidationError as error:
        messages.error(request, user_message(error))
        return redirect("exports:list")
    return redirect("exports:detail", pk=export.pk)


@require_GET
@merchant_required
def export_list(request):
    exports = CsvExport.objects.filter(shop=request.shop).order_by("-requested_at", "-id")
    page = keyset_page(exports, request.GET, key="requested_at")
    for export in page:
        export.label = registry.label(export.kind)
    return render(request, "exports/export_list.html", {"page": page, "now": timezone.now()})


@require_GET
@merchant_required
def export_detail(request, pk: int):
    export = shop_get_or_404(request, CsvExport, pk=pk)
    return render(
        request,
        "exports/export_detail.html",
        {
            "export": export,
            "label": registry.label(export.kind),
            "downloadable": export.is_downloadable(),
            "refresh": REFRESH_SECONDS,
        },
    )


@require_GET
def export_download(request, pk: int):
    """R100/R102: the file, for a merchant of the export's shop only; anyone else gets a 404,
    as does an export that is not ready or has expired."""
    export = private_file_owner_or_404(
        request, CsvExport, staff_permission="exports.view_csvexport", pk=pk
    )
    if not export.is_downloadable():
        raise Http404
    response = FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=export.filename,
        content_type="text/csv; charset=utf-8",
    )
    response = private_file_response(response)
    response["Cache-Control"] = "private, no-store"
    return response
