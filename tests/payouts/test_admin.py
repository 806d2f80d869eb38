"""R114/R115 in the finance admin, and R115 on the merchant's payouts page."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from claims.models import Payout, PayoutState
from enrollment.models import Enrollment
from payouts.models import PayoutBatch
from tests.payouts.helpers import read_transfer_file, results_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(client, fiona):
    """Fiona in the admin, in English (the messages the tests match)."""
    from django.conf import settings

    client.force_login(fiona)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def create_batch(finance) -> PayoutBatch:
    response = finance.post(reverse("admin:payouts_batch_create"), follow=True)
    assert response.status_code == 200
    return PayoutBatch.objects.get()


def upload(finance, batch, content: bytes):
    return finance.post(
        reverse("admin:payouts_batch_results", args=[batch.pk]),
        {"file": SimpleUploadedFile("results.csv", content, content_type="text/csv")},
        follow=True,
    )


def test_R114_finance_creates_a_batch_downloads_its_file_and_imports_the_results(owed, finance):
    batch = create_batch(finance)

    download = finance.get(reverse("admin:payouts_batch_file", args=[batch.pk]))
    rows = read_transfer_file(download.content)
    assert download["Content-Disposition"] == f'attachment; filename="{batch.file_name}"'
    assert len(rows) == 4
    response = upload(finance, batch, results_for(rows, failed=[rows[0]["reference"]]))

    assert response.status_code == 200
    assert "3 settled, 1 failed" in response.content.decode()
    assert Payout.objects.filter(state=PayoutState.SETTLED).count() == 3


def test_R114_a_bad_result_file_shows_each_bad_row_beside_the_field(owed, finance):
    batch = create_batch(finance)
    rows = read_transfer_file(
        finance.get(reverse("admin:payouts_batch_file", args=[batch.pk])).content
    )
    rows[1]["amount"] = "1000.00"

    response = upload(finance, batch, results_for(rows))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Row 3:" in body and "1000.00" in body and 'class="errorlist' in body
    assert "Traceback" not in body
    assert not Payout.objects.filter(state=PayoutState.SETTLED).exists()


def test_R115_the_reconciliation_shows_each_shop_and_the_total(owed, finance, shop, other_shop):
    create_batch(finance)

    response = finance.get(reverse("admin:payouts_reconciliation"))

    lines, total = response.context["lines"], response.context["total"]
    assert {line.shop: line.owed for line in lines} == {
        shop: Decimal("200.01"),
        other_shop: Decimal("0.01"),
    }
    assert total.by_state[PayoutState.SUBMITTED] == total.owed == Decimal("200.02")
    assert all(line.reconciled for line in lines) and total.reconciled


def test_R115_a_period_whose_last_day_is_before_its_first_is_refused_beside_the_field(finance):
    response = finance.get(
        reverse("admin:payouts_reconciliation"), {"first": "2026-06-30", "last": "2026-06-01"}
    )

    assert response.context["form"].errors["last"]
    assert response.context["total"] is None


@pytest.mark.parametrize("persona", ["rita", "uma"])
def test_R101_other_staff_cannot_run_batches(owed, client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(reverse("admin:payouts_batch_create"))

    assert response.status_code == 403
    assert not PayoutBatch.objects.exists()


def test_R114_an_underwriter_corrects_the_payout_account_beside_its_fields(client, uma, shop):
    enrollment = Enrollment.objects.get(shop=shop)
    client.force_login(uma)
    url = reverse("admin:enrollment_enrollment_transition", args=[enrollment.pk, "payout_account"])

    bad = client.post(url, {"alipay_account": "not-an-account", "alipay_name": "甲店"})
    good = client.post(url, {"alipay_account": "jia@shop-a.cn", "alipay_name": "甲店电器"})

    assert bad.status_code == 200 and bad.context["form"].errors["alipay_account"]
    assert good.status_code == 302
    enrollment.refresh_from_db()
    assert (enrollment.alipay_account, enrollment.alipay_name) == ("jia@shop-a.cn", "甲店电器")


def test_R115_the_merchant_sees_each_payouts_state_and_only_its_own(
    owed, merchant, fiona, django_assert_num_queries
):
    from payouts import services

    services.payout_batch_create(actor=fiona, payout_ids=[owed[1].pk])

    # session, user+shop with the unread count (issue 10), payouts (with state), their
    # total (issue 11), months
    with django_assert_num_queries(5):
        response = merchant.get(reverse("claims:payouts"))

    states = re.findall(r'data-testid="payout-state">([^<]*)<', response.content.decode())
    assert sorted(states) == sorted(["已提交", "待发放", "待发放"])  # not bob's 0.01


def test_R114_finance_batches_chosen_payouts_and_resubmits_a_failed_one_from_the_list(
    owed, finance, bob
):
    changelist = reverse("admin:claims_payout_changelist")
    chosen = [owed[0].pk, owed[3].pk]

    response = finance.post(changelist, {"action": "batch", "_selected_action": chosen})

    batch = PayoutBatch.objects.get()
    assert response.status_code == 302 and batch.payouts == 2
    rows = read_transfer_file(
        finance.get(reverse("admin:payouts_batch_file", args=[batch.pk])).content
    )
    bobs = next(r["reference"] for r in rows if r["amount"] == "0.01")
    upload(finance, batch, results_for(rows, failed=[bobs]))
    failed = Payout.objects.get(state=PayoutState.FAILED)
    refused = finance.post(
        changelist, {"action": "resubmit", "_selected_action": [failed.pk]}, follow=True
    )
    assert "unchanged" in refused.content.decode()
    enrollment = Enrollment.objects.get(shop=bob.merchant.shop)
    enrollment.alipay_account = "13900139000"
    enrollment.save()

    finance.post(changelist, {"action": "resubmit", "_selected_action": [failed.pk]})

    failed.refresh_from_db()
    assert failed.state == PayoutState.PENDING
