"""Big CSV exports are prepared in the background (issue 10): the threshold, the task, the
progress page, the private download (R100, R102), the filters, expiry; small ones stream."""

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from exports import services
from exports.models import CsvExport
from exports.tasks import write_csv_export
from portal import csv_export
from tests.factories import make_orders

pytestmark = pytest.mark.django_db

THRESHOLD = 3


@pytest.fixture
def low_threshold(settings):
    settings.CSV_EXPORT_BACKGROUND_ROWS = THRESHOLD


@pytest.fixture
def orders(client, shop):
    """O0-O6: seven policies (buyers buyer0-buyer6)."""
    make_orders(client, shop, 7, refunds=False)
    return shop


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def direct(client, url, params, settings) -> bytes:
    """The same export streamed in the request (threshold out of reach)."""
    before = settings.CSV_EXPORT_BACKGROUND_ROWS
    settings.CSV_EXPORT_BACKGROUND_ROWS = 10**9
    try:
        response = client.get(url, params)
        assert response.streaming
        return b"".join(response.streaming_content)
    finally:
        settings.CSV_EXPORT_BACKGROUND_ROWS = before


def export_in_background(client, url, params, capture) -> CsvExport:
    with capture(execute=True):  # the task runs after commit (immediate backend in tests)
        response = client.get(url, params)
    assert response.status_code == 302
    export = CsvExport.objects.get()
    assert response["Location"] == reverse("exports:detail", args=[export.pk])
    return export


def download(client, export) -> bytes:
    response = client.get(reverse("exports:download", args=[export.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_a_small_export_still_streams_in_the_request(merchant, orders, low_threshold, settings):
    settings.CSV_EXPORT_BACKGROUND_ROWS = 7

    response = merchant.get(reverse("claims:policies_export"))

    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="policies.csv"'
    assert len(rows_of(b"".join(response.streaming_content))) == 8
    assert not CsvExport.objects.exists()


def test_a_big_export_is_written_by_the_task_and_downloaded_by_its_merchant(
    merchant, orders, low_threshold, settings, django_capture_on_commit_callbacks
):
    url = reverse("claims:policies_export")
    export = export_in_background(merchant, url, {}, django_capture_on_commit_callbacks)

    export.refresh_from_db()
    assert export.state == "ready"
    assert (export.rows_total, export.rows_written) == (7, 7)
    assert export.file.name.startswith("exports/") and "甲" not in export.file.name
    page = merchant.get(reverse("exports:detail", args=[export.pk]))
    assert page.status_code == 200
    assert reverse("exports:download", args=[export.pk]) in page.content.decode()
    response = merchant.get(reverse("exports:download", args=[export.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="policies.csv"'
    assert response["Cache-Control"] == "private, no-store"
    data = b"".join(response.streaming_content)
    assert data == direct(merchant, url, {}, settings)  # the same bytes as the streamed one
    assert len(rows_of(data)) == 8


def test_R100_another_shops_merchant_gets_404_for_the_page_and_the_file(
    client, merchant, orders, bob, low_threshold, django_capture_on_commit_callbacks
):
    export = export_in_background(
        merchant, reverse("claims:policies_export"), {}, django_capture_on_commit_callbacks
    )
    client.force_login(bob)

    assert client.get(reverse("exports:detail", args=[export.pk])).status_code == 404
    assert client.get(reverse("exports:download", args=[export.pk])).status_code == 404
    assert b"O1" not in client.get(reverse("exports:list")).content
    client.logout()
    assert client.get(reverse("exports:download", args=[export.pk])).status_code == 404


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "buyer3"}, {"O3"}),  # the search of the list page
        ({"q": "SKU-KETTLE", "status": "expired"}, {f"O{i}" for i in range(7)}),
        ({"status": "bogus"}, {f"O{i}" for i in range(7)}),  # the one filter is invalid
        # issue 11: an invalid value drops only itself; the valid search still applies
        ({"issued_from": "not-a-date", "q": "buyer3"}, {"O3"}),
    ],
)
def test_the_filters_of_the_list_apply_to_both_paths(
    merchant, orders, settings, django_capture_on_commit_callbacks, params, expected
):
    settings.CSV_EXPORT_BACKGROUND_ROWS = 0  # even an empty export goes to the task
    url = reverse("claims:policies_export")

    export = export_in_background(merchant, url, params, django_capture_on_commit_callbacks)

    data = download(merchant, export)
    assert {row[1] for row in rows_of(data)[1:]} == expected
    assert data == direct(merchant, url, params, settings)
    assert export.params == params


def test_refund_and_payout_exports_go_to_the_task_too(
    merchant, client, shop, low_threshold, django_capture_on_commit_callbacks
):
    make_orders(client, shop, 5)  # O4: merchant-handled
    url = reverse("claims:refunds_export")

    export = export_in_background(
        merchant, url, {"business": "warranty"}, django_capture_on_commit_callbacks
    )

    rows = rows_of(download(merchant, export))
    assert sorted(row[0] for row in rows[1:]) == ["RO0", "RO1", "RO2", "RO3"]
    assert export.filename == "refunds.csv"


def test_the_page_shows_progress_while_preparing_and_refreshes_without_script(
    merchant, orders, low_threshold
):
    merchant.cookies["django_language"] = "en"
    response = merchant.get(reverse("claims:policies_export"))  # the task is not run
    export = CsvExport.objects.get()
    CsvExport.objects.filter(pk=export.pk).update(rows_total=7, rows_written=4)

    page = merchant.get(response["Location"])

    body = page.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in body
    assert "<script" not in body
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "Preparing: 4 of 7 rows written." in body
    assert '<progress max="100" value="57">' in body
    assert reverse("exports:download", args=[export.pk]) not in body
    assert merchant.get(reverse("exports:download", args=[export.pk])).status_code == 404
    listed = merchant.get(reverse("exports:list")).content.decode()
    assert reverse("exports:detail", args=[export.pk]) in listed


def test_the_same_export_clicked_twice_is_prepared_once_and_three_at_most(
    merchant, orders, low_threshold
):
    url = reverse("claims:policies_export")
    first = merchant.get(url, {"q": "SKU-KETTLE"})
    again = merchant.get(url, {"q": "SKU-KETTLE"})
    assert first["Location"] == again["Location"]
    merchant.get(url, {"status": "expired"})
    merchant.get(url)
    assert CsvExport.objects.count() == 3

    merchant.cookies["django_language"] = "en"
    refused = merchant.get(url, {"status": "bogus"}, follow=True)  # 7 rows: unfiltered

    assert CsvExport.objects.count() == 3
    assert refused.redirect_chain == [(reverse("exports:list"), 302)]
    assert "You already have 3 exports being prepared." in refused.content.decode()


def test_the_export_is_in_the_language_the_merchant_read(
    merchant, orders, low_threshold, django_capture_on_commit_callbacks
):
    merchant.cookies["django_language"] = "en"

    export = export_in_background(
        merchant, reverse("claims:policies_export"), {}, django_capture_on_commit_callbacks
    )

    assert export.language == "en"
    header = rows_of(download(merchant, export))[0]
    assert header[:2] == ["Policy number", "Order id"] and header[-1] == "Status"


def test_a_task_delivered_twice_writes_nothing_more(
    merchant, orders, low_threshold, django_capture_on_commit_callbacks
):
    export = export_in_background(
        merchant, reverse("claims:policies_export"), {}, django_capture_on_commit_callbacks
    )
    name = CsvExport.objects.get(pk=export.pk).file.name

    assert write_csv_export.call(export_id=export.pk) == 0
    assert CsvExport.objects.get(pk=export.pk).file.name == name


def test_a_failed_write_leaves_no_file_and_says_so(
    merchant, orders, low_threshold, settings, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("exports.services._finish", broken)
    files_before = set(Path(settings.MEDIA_ROOT).rglob("*.csv"))

    export = export_in_background(
        merchant, reverse("claims:policies_export"), {}, django_capture_on_commit_callbacks
    )

    export.refresh_from_db()
    assert export.state == "failed" and not export.file
    assert set(Path(settings.MEDIA_ROOT).rglob("*.csv")) == files_before
    page = merchant.get(reverse("exports:detail", args=[export.pk])).content.decode()
    assert 'data-state="failed"' in page and "refresh" not in page


def test_files_expire_after_the_keep_time_by_the_command_and_by_the_next_export(
    merchant, orders, low_threshold, settings, django_capture_on_commit_callbacks
):
    url = reverse("claims:policies_export")
    export = export_in_background(merchant, url, {}, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    storage, name = export.file.storage, export.file.name
    assert storage.exists(name)

    later = timezone.now() + settings.CSV_EXPORT_KEEP + dt.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert merchant.get(reverse("exports:download", args=[export.pk])).status_code == 404
        with django_capture_on_commit_callbacks(execute=True):
            call_command("expire_exports")

    export.refresh_from_db()
    assert export.state == "expired" and not export.file
    assert not storage.exists(name)
    page = merchant.get(reverse("exports:detail", args=[export.pk])).content.decode()
    assert 'data-state="expired"' in page


def test_the_next_export_task_expires_old_files_and_unsticks_dead_ones(
    merchant, orders, low_threshold, settings, django_capture_on_commit_callbacks
):
    url = reverse("claims:policies_export")
    old = export_in_background(merchant, url, {}, django_capture_on_commit_callbacks)
    old_name = CsvExport.objects.get(pk=old.pk).file.name
    merchant.get(url, {"q": "SKU-KETTLE"})  # enqueued, never run: its worker died
    stuck = CsvExport.objects.exclude(pk=old.pk).get()

    later = timezone.now() + settings.CSV_EXPORT_KEEP + dt.timedelta(minutes=1)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        merchant.get(url, {"status": "expired"})

    assert CsvExport.objects.get(pk=old.pk).state == "expired"
    assert not CsvExport.objects.get(pk=old.pk).file.storage.exists(old_name)
    assert CsvExport.objects.get(pk=stuck.pk).state == "failed"
    assert services.csv_exports_expire(now=later) == {"expired": 0, "failed": 0}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="COPY is PostgreSQL's: run with DATABASE_URL=postgres://...",
)
def test_progress_is_recorded_while_the_copy_holds_the_tasks_connection(
    client, alice, shop, settings, monkeypatch
):
    """On PostgreSQL the COPY keeps the task's connection until its last row: the rows
    written reach the export's row through a connection of their own, as they are written."""
    make_orders(client, shop, 12, refunds=False)
    settings.CSV_EXPORT_BACKGROUND_ROWS = THRESHOLD
    monkeypatch.setattr(services, "PROGRESS_ROWS", 5)
    monkeypatch.setattr(csv_export, "CHUNK_BYTES", 100)  # about a chunk per row
    seen = []
    record = services._Progress.__call__

    def observed(progress, rows):
        record(progress, rows)
        observer = connections.create_connection("default")  # what the merchant's page reads
        try:
            with observer.cursor() as cursor:
                cursor.execute(
                    "SELECT rows_written FROM exports_csvexport WHERE id = %s",
                    [progress.export_id],
                )
                seen.append(cursor.fetchone()[0])
        finally:
            observer.close()

    monkeypatch.setattr(services._Progress, "__call__", observed)
    client.force_login(alice)

    client.get(reverse("claims:policies_export"))  # committed: the task runs at once

    assert seen == [5, 10, 12]
    export = CsvExport.objects.get()
    assert (export.state, export.rows_written, export.rows_total) == ("ready", 12, 12)
    with connection.cursor() as cursor:  # the COPY's SET LOCALs ended with its transaction
        cursor.execute("SHOW TimeZone")
        assert cursor.fetchone()[0] == "UTC"
