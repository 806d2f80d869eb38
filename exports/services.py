"""Background CSV exports (issue 10): write one's file, expire old ones.

A merchant's export with more than CSV_EXPORT_BACKGROUND_ROWS rows is not streamed in the
request: `exports.start.csv_export_start` records it (preparing) and enqueues
`exports.tasks.write_csv_export` after commit. The task (`csv_export_write`) builds the
table the request would have streamed (exports.registry, in the merchant's language, with
`now` = the request's time), writes it to a temporary file with one COPY statement (one
snapshot of the data) while recording the rows written every PROGRESS_ROWS rows (the
progress the export's page shows), saves it through Django's storage API under a private
path and marks the export ready (R40: guarded transitions, audited).

Files expire after CSV_EXPORT_KEEP: `csv_exports_expire` deletes them. Every export task
runs it first, and `manage.py expire_exports` (cron) runs it for when nobody exports for a
while; the download view refuses an expired export whether its file is gone yet or not.
"""

import datetime as dt
import logging
import tempfile

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from exports import registry
from exports.models import CsvExport, CsvExportState
from portal import fsm
from portal.csv_export import csv_chunks
from portal.transactions import service

logger = logging.getLogger(__name__)

PROGRESS_ROWS = 50_000  # rows_written is recorded this often (about 4 times a second)
STALE_AFTER = dt.timedelta(hours=1)  # preparing this long: its worker died, it failed

NOT_PREPARING = _("This export is no longer being prepared.")
NOT_READY = _("This export is not ready.")


_PROGRESS_SQL = f"UPDATE {CsvExport._meta.db_table} SET rows_written = %s WHERE id = %s"


class _Progress:
    """Records rows_written while the file is written. A COPY holds the task's database
    connection until its last row, so on PostgreSQL the count goes through a connection of
    its own (opened at the first report, closed by `close`)."""

    def __init__(self, export_id: int):
        self.export_id = export_id
        self.rows = 0
        self.connection = None

    def __call__(self, rows: int) -> None:
        self.rows = rows
        queryset = CsvExport.objects.filter(pk=self.export_id)
        if connections[queryset.db].vendor != "postgresql":  # no COPY: the task's connection
            queryset.update(rows_written=rows)
            return
        if self.connection is None:
            self.connection = connections.create_connection(queryset.db)
        with self.connection.cursor() as cursor:
            cursor.execute(_PROGRESS_SQL, [rows, self.export_id])

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def csv_export_write(*, export_id: int) -> int:
    """The task's work: write the export's file, then mark it ready. Returns its data rows
    (0 when the export is no longer preparing: a task delivered twice)."""
    csv_exports_expire()
    export = CsvExport.objects.select_related("shop").get(pk=export_id)
    if export.state != CsvExportState.PREPARING:
        return 0
    storage = export.file.storage
    progress = _Progress(export_id)
    name = None
    try:
        with translation.override(export.language):
            table = registry.build(
                export.kind, shop=export.shop, params=export.params, now=export.requested_at
            )
            CsvExport.objects.filter(pk=export_id).update(rows_total=table.rows.count())
            with tempfile.TemporaryFile() as buffer:
                for chunk in csv_chunks(table, progress=progress, progress_rows=PROGRESS_ROWS):
                    buffer.write(chunk)
                size = buffer.tell()
                name = storage.save(
                    export.file.field.generate_filename(export, table.filename), File(buffer)
                )
        _finish(export_id=export_id, name=name, rows=progress.rows, size=size)
    except Exception:
        logger.exception("CSV export %s could not be written", export_id)
        if name:
            storage.delete(name)
        csv_export_fail(export_id=export_id, description="the file could not be written")
        raise
    finally:
        progress.close()
    return progress.rows


@service
def _finish(*, export_id: int, name: str, rows: int, size: int) -> None:
    export = fsm.lock(CsvExport.objects.all(), pk=export_id)
    export.file.name = name
    fsm.fire(
        export,
        "finish",
        by=None,
        refused=lambda: ValidationError(NOT_PREPARING, code="not_preparing"),
        at=timezone.now(),
        rows=rows,
        size=size,
    )


@service
def csv_export_fail(*, export_id: int, description: str, at=None) -> bool:
    """Mark a preparing export failed (the merchant may start it again)."""
    export = fsm.lock(CsvExport.objects.all(), pk=export_id)
    if export.state != CsvExportState.PREPARING:
        return False
    fsm.fire(
        export,
        "fail",
        by=None,
        refused=lambda: ValidationError(NOT_PREPARING, code="not_preparing"),
        at=at or timezone.now(),
        description=description,
    )
    return True


@service
def csv_export_expire(*, export_id: int, at=None) -> bool:
    """Expire a ready export; its file is deleted once that is committed."""
    export = fsm.lock(CsvExport.objects.all(), pk=export_id)
    if export.state != CsvExportState.READY:
        return False
    name, storage = export.file.name, export.file.storage
    export.file.name = ""
    fsm.fire(
        export,
        "expire",
        by=None,
        refused=lambda: ValidationError(NOT_READY, code="not_ready"),
        at=at or timezone.now(),
    )
    transaction.on_commit(lambda: _delete(storage, name))
    return True


def _delete(storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.warning("could not delete expired CSV export file %s", name)


def csv_exports_expire(*, now=None) -> dict:
    """Expire every export past its expiry, and fail those preparing for longer than
    STALE_AFTER (their worker died). Idempotent: a second run finds nothing."""
    now = now or timezone.now()
    expired = CsvExport.objects.filter(state=CsvExportState.READY, expires_at__lte=now)
    stale = CsvExport.objects.filter(
        state=CsvExportState.PREPARING, requested_at__lte=now - STALE_AFTER
    )
    return {
        "expired": sum(
            csv_export_expire(export_id=pk, at=now) for pk in expired.values_list("pk", flat=True)
        ),
        "failed": sum(
            csv_export_fail(export_id=pk, at=now, description="interrupted: no worker finished it")
            for pk in stale.values_list("pk", flat=True)
        ),
    }
