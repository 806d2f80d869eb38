"""Notifications are written in the transaction of the change they report (issue 11,
point 6), and a coming receipt deadline (R34, R38) is told once per deadline, judged by the
deadline stored on the claim (R90)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from claims.models import Claim
from claims.services import decisions
from claims.services.sweep import sweep_deadlines
from invoicing import services as invoicing
from notifications.deadlines import NOTICE, receipt_deadlines_notify
from notifications.models import Notification
from portal.clock import local_date
from tests.factories import make_orders, return_shipped_back
from tests.invoicing.helpers import PDF, make_policy, request_data, shanghai
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db


def kinds(shop):
    return list(
        Notification.objects.filter(shop=shop).order_by("id").values_list("kind", flat=True)
    )


def test_an_approval_notifies_the_shop_in_its_own_transaction(client, shop, rita):
    make_orders(client, shop, 1)  # RO0: refund only
    claim = Claim.objects.get(refund__platform_refund_id="RO0")

    decisions.claim_approve(claim_id=claim.pk, actor=rita)

    (note,) = Notification.objects.filter(shop=shop)
    assert (note.kind, note.claim_id, note.read_at) == ("approved_paid", claim.pk, None)


def test_a_change_rolled_back_leaves_no_notification(client, shop, rita):
    make_orders(client, shop, 1)
    claim = Claim.objects.get(refund__platform_refund_id="RO0")

    with pytest.raises(RuntimeError), transaction.atomic():
        decisions.claim_reject(claim_id=claim.pk, actor=rita, reason="照片看不出问题")
        raise RuntimeError("the caller fails after the service")

    assert kinds(shop) == []
    assert Claim.objects.get(pk=claim.pk).state == "submitted"


def test_a_return_its_shipment_and_a_rejection_each_notify(client, shop, rita):
    make_orders(client, shop, 3)  # RO1 a return, RO2 refund only
    return_shipped_back(client, rita)  # RO1 approved, then shipped back
    other = Claim.objects.get(refund__platform_refund_id="RO2")
    decisions.claim_reject(claim_id=other.pk, actor=rita, reason="不属于质量问题")

    assert kinds(shop) == ["approved_return", "return_shipped", "rejected"]


def test_the_merchants_own_refusal_tells_them_nothing_but_the_ruling_does(
    shop, rita, return_on_its_way
):
    claim = return_on_its_way
    Notification.objects.all().delete()

    decisions.claim_refuse_receipt(
        claim_id=claim.pk,
        actor=shop.merchants.get().user,
        ground="empty_parcel",
        note="空箱",
        evidence=[("box.png", ev.png_bytes())],
    )
    assert kinds(shop) == []
    decisions.claim_overrule_refusal(claim_id=claim.pk, actor=rita, note="拒收不成立")
    assert kinds(shop) == ["breach"]


def test_an_issued_invoice_notifies_the_shop(shop, alice, fiona):
    make_policy(shop, premium="12.00", issued_at=shanghai(2026, 5, 10, 12))
    invoice = invoicing.invoice_request_create(shop=shop, actor=alice, **request_data())

    invoicing.invoice_issue(
        invoice_id=invoice.pk,
        actor=fiona,
        invoice_number="26000000000000000001",
        invoice_date=local_date(invoice.submitted_at),
        pdf=PDF,
    )

    (note,) = Notification.objects.filter(shop=shop)
    assert (note.kind, note.invoice_id) == ("invoice_issued", invoice.pk)


@pytest.fixture
def shipped(return_on_its_way):
    Notification.objects.all().delete()
    return Claim.objects.get(pk=return_on_its_way.pk)


def receipt_notices():
    return Notification.objects.filter(kind="receipt_due_soon")


def test_a_receipt_deadline_more_than_a_day_away_is_not_told_yet(shipped):
    assert receipt_deadlines_notify(now=shipped.receipt_due_at - NOTICE - dt.timedelta(1)) == 0
    assert not receipt_notices().exists()


def test_a_receipt_deadline_within_a_day_is_told_once_dated_a_day_before_it(shipped):
    early = shipped.receipt_due_at - dt.timedelta(hours=23)
    late = shipped.receipt_due_at - dt.timedelta(minutes=1)

    assert receipt_deadlines_notify(now=early) == 1
    assert receipt_deadlines_notify(now=late) == 0

    (note,) = receipt_notices()
    assert note.due_at == shipped.receipt_due_at
    assert note.created_at == shipped.receipt_due_at - NOTICE  # not when the sweep ran
    assert (note.shop_id, note.claim_id) == (shipped.shop_id, shipped.pk)


def test_the_sweep_tells_a_coming_deadline_and_a_passed_one_is_a_breach_not_a_notice(shipped):
    sweep_deadlines(now=shipped.receipt_due_at - dt.timedelta(hours=2))
    assert receipt_notices().count() == 1
    sweep_deadlines(now=shipped.receipt_due_at - dt.timedelta(hours=1))
    assert receipt_notices().count() == 1

    sweep_deadlines(now=shipped.receipt_due_at + dt.timedelta(hours=1))

    assert kinds(shipped.shop) == ["receipt_due_soon", "breach"]
    breach = Notification.objects.get(kind="breach")
    assert breach.created_at == shipped.receipt_due_at  # dated at the deadline it enforces


def test_a_deadline_already_passed_gets_no_notice(shipped):
    assert receipt_deadlines_notify(now=shipped.receipt_due_at + dt.timedelta(seconds=1)) == 0


def test_the_database_refuses_a_second_notice_for_one_deadline(shipped):
    receipt_deadlines_notify(now=shipped.receipt_due_at - dt.timedelta(hours=1))
    twin = receipt_notices().get()
    twin.pk = None

    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
