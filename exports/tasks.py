"""Background work of the exports app (django.tasks; db_worker in production)."""

from django.tasks import task

from exports.services import csv_export_write


@task
def write_csv_export(*, export_id: int) -> int:
    """Write a background CSV export's file (issue 10); expired exports are cleaned first."""
    return csv_export_write(export_id=export_id)
