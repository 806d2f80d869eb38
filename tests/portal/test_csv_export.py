"""CSV exports (issue 10): PostgreSQL's COPY and Python's csv module give the same bytes.

The COPY path only exists on PostgreSQL: those tests are skipped, visibly, on SQLite (run
them with DATABASE_URL=postgres://...)."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from claims.models import Claim, Payout, Policy, RefundRequest
from claims.services import decisions
from exports import registry
from portal import csv_export
from portal.csv_export import csv_chunks, more_rows_than
from tests.factories import make_orders
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db

POSTGRES_COPY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="COPY is PostgreSQL's: run with DATABASE_URL=postgres://...",
)


@pytest.fixture
def awkward_data(client, shop, rita):
    """Every kind of cell: quoting, line breaks, spaces, Chinese, a stored value with no
    label, empty cells, each R24 status, amounts, and the last instant of a minute."""
    make_orders(client, shop, 6)  # claims on O0-O3 and O5; O4 is merchant-handled
    make_orders(client, shop, 3, refunds=False, prefix="N")
    ev.send(
        client,
        ev.order_placed("O-AWAIT", shop.platform_shop_id, buyer="buyer-await"),
        ev.order_shipped("O-AWAIT"),  # never received: awaiting receipt, no coverage times
    )
    for refund_only in ("RO0", "RO2"):  # paid at once, with a payout
        claim = Claim.objects.get(refund__platform_refund_id=refund_only)
        decisions.claim_approve(claim_id=claim.pk, actor=rita)
    Policy.objects.filter(order__platform_order_id="O5").update(claim_status="claim_closed")
    Policy.objects.filter(order__platform_order_id="N1").update(
        policy_no='WP,"quoted"\nline',
        coverage_end=timezone.now() + dt.timedelta(days=3),  # in coverage
        issued_at=dt.datetime(2026, 6, 30, 15, 59, 59, 999999, tzinfo=dt.UTC),  # 23:59 local
        premium="1234567.89",
    )
    Policy.objects.filter(order__platform_order_id="N0").update(rate="0.0005", premium="0.00")
    RefundRequest.objects.filter(platform_refund_id="RO2").update(reason="a_new_reason")
    RefundRequest.objects.filter(platform_refund_id="RO3").update(
        platform_refund_id=" spaced , 退款 "
    )
    Payout.objects.filter(claim__refund__platform_refund_id="RO0").update(
        alipay_account='a,b"c\r\nd'
    )
    return shop


def _file(kind, shop, params=None, **options):
    table = registry.build(kind, shop=shop, params=params or {}, now=timezone.now())
    return b"".join(csv_chunks(table, **options))


@POSTGRES_COPY
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("kind", ["policies", "refunds", "payouts"])
def test_copy_and_python_give_byte_identical_files(awkward_data, kind, language):
    with translation.override(language):
        by_python = _file(kind, awkward_data, use_copy=False)
        by_copy = _file(kind, awkward_data, use_copy=True)

    assert by_copy == by_python
    rows = list(csv.reader(io.StringIO(by_copy.decode("utf-8-sig"), newline="")))
    assert len(rows) > 2


@POSTGRES_COPY
def test_the_awkward_cells_survive_copy(awkward_data):
    with translation.override("zh-hans"):
        policies = _file("policies", awkward_data, use_copy=True).decode("utf-8-sig")
        refunds = _file("refunds", awkward_data, use_copy=True).decode("utf-8-sig")
        payouts = _file("payouts", awkward_data, use_copy=True).decode("utf-8-sig")

    assert policies.endswith("\r\n")
    assert "\n" not in policies.replace("\r\n", "").replace('""quoted""\nline', "")
    by_order = {row[1]: row for row in csv.reader(io.StringIO(policies, newline=""))}
    assert by_order["N1"][0] == 'WP,"quoted"\nline'
    assert by_order["N1"][3] == "2026-06-30 23:59"  # R2: Shanghai, truncated to the minute
    assert by_order["N1"][6] == "1234567.89"  # R1
    assert by_order["N1"][9] == "保障中"
    assert by_order["N2"][9] == "已过期"
    assert by_order["O0"][9] == "理赔成功"
    assert by_order["O1"][9] == "理赔中"
    assert by_order["O5"][9] == "理赔关闭"
    assert by_order["O-AWAIT"][7:] == ["", "", "待生效"]
    assert by_order["N0"][5:7] == ["0.0005", "0.00"]
    refund_rows = {row[0]: row for row in csv.reader(io.StringIO(refunds, newline=""))}
    assert refund_rows["RO2"][6] == "a_new_reason"  # no label: the stored value
    assert " spaced , 退款 " in refund_rows
    assert '"a,b""c\r\nd",待发放\r\n' in payouts  # quoted, CRLF kept; then the state (R115)


@POSTGRES_COPY
def test_the_streamed_export_uses_copy_and_matches_python(client, alice, awkward_data):
    client.force_login(alice)

    response = client.get(reverse("claims:policies_export"), {"status": "expired"})

    assert response.streaming
    streamed = b"".join(response.streaming_content)
    with translation.override("zh-hans"):
        expected = _file("policies", awkward_data, {"status": "expired"}, use_copy=False)
    assert streamed == expected
    with connection.cursor() as cursor:  # the COPY's SET LOCALs were put back
        cursor.execute("SHOW TimeZone")
        assert cursor.fetchone()[0] == "UTC"


@POSTGRES_COPY
def test_a_download_closed_half_way_leaves_the_connection_usable(client, shop, monkeypatch):
    make_orders(client, shop, 30, refunds=False)
    monkeypatch.setattr(csv_export, "CHUNK_BYTES", 100)  # several chunks for 30 rows
    chunks = csv_chunks(
        registry.build("policies", shop=shop, params={}, now=timezone.now()), use_copy=True
    )
    next(chunks), next(chunks)  # the header, then the first rows: COPY is running

    chunks.close()  # the client went away

    assert Policy.objects.filter(shop=shop).count() == 30


def test_on_sqlite_the_export_is_written_by_python(client, alice, shop):
    make_orders(client, shop, 3, refunds=False)
    table = registry.build("policies", shop=shop, params={}, now=timezone.now())
    assert csv_export.copy_supported(table.rows) == (connection.vendor == "postgresql")

    with translation.override("en"):
        data = _file("policies", shop, use_copy=False)

    assert data.startswith("\ufeffPolicy number,Order id,".encode())
    assert data.count(b"\r\n") == 4
    assert b",199.00," in data


def test_more_rows_than_reads_only_up_to_the_limit(client, shop, django_assert_num_queries):
    make_orders(client, shop, 3, refunds=False)
    policies = Policy.objects.filter(shop=shop)

    with django_assert_num_queries(1) as captured:
        assert more_rows_than(policies, 2)
    assert "LIMIT 3" in captured.captured_queries[0]["sql"]
    assert not more_rows_than(policies, 3)
