"""A merchant's background CSV export started (issue 10): recorded, preparing, and its task
(`exports.tasks.write_csv_export`, which runs `exports.services.csv_export_write`) enqueued
after commit. Apart from the services the task runs, so the arrows run one way:
start → tasks → services."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Shop
from exports.models import CsvExport, CsvExportState
from exports.services import STALE_AFTER
from exports.tasks import write_csv_export
from portal import audit
from portal.transactions import service

MAX_PREPARING = 3  # per shop at once: a merchant cannot fill the workers' queue

TOO_MANY = _(
    "You already have %(count)d exports being prepared. Please wait until one of them is ready."
)


@service
def csv_export_start(
    *, shop, actor, kind: str, params: dict, filename: str, language: str, now=None
) -> CsvExport:
    """A background export of `kind` with `params` for the shop, or the same one already
    being prepared (a second click, a reload)."""
    now = now or timezone.now()
    Shop.objects.select_for_update().get(pk=shop.pk)  # one start at a time per shop
    preparing = list(
        CsvExport.objects.filter(
            shop=shop, state=CsvExportState.PREPARING, requested_at__gt=now - STALE_AFTER
        )
    )
    for export in preparing:
        if (export.kind, export.params, export.language) == (kind, params, language):
            return export
    if len(preparing) >= MAX_PREPARING:
        raise ValidationError(TOO_MANY % {"count": MAX_PREPARING}, code="too_many")
    export = CsvExport.objects.create(
        shop=shop,
        kind=kind,
        params=params,
        language=language,
        filename=filename,
        requested_by=actor,
        requested_at=now,
    )
    audit.log_created(export, by=actor, state=CsvExportState.PREPARING, transition="request")

    transaction.on_commit(lambda: write_csv_export.enqueue(export_id=export.pk))
    return export
