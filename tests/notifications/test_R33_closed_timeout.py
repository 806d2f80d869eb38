"""R33: a claim closed because the buyer shipped no return in time tells the merchant, in the
closing's transaction, dated at the deadline, however it closed (the sweep, or a later
event that found the deadline passed)."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import translation

from claims.models import Claim
from claims.services import decisions
from claims.services.sweep import sweep_deadlines
from notifications.models import Notification
from notifications.selectors import notification_text
from tests.factories import make_orders

pytestmark = pytest.mark.django_db


@pytest.fixture
def awaiting(client, shop, rita):
    """RO1, a return approved now: its tracking number is due in 7 days (R33)."""
    make_orders(client, shop, 2)
    claim = Claim.objects.get(refund__platform_refund_id="RO1")
    decisions.claim_approve(claim_id=claim.pk, actor=rita)
    Notification.objects.all().delete()
    return Claim.objects.get(pk=claim.pk)


def closed_notices():
    return list(Notification.objects.filter(kind="closed_timeout"))


def test_R33_the_sweep_closing_a_return_never_shipped_tells_the_merchant_at_the_deadline(
    awaiting, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep_deadlines(now=awaiting.return_due_at + dt.timedelta(hours=1))

    assert result.closed_timeout == 1
    (note,) = closed_notices()
    assert (note.shop_id, note.claim_id, note.read_at) == (awaiting.shop_id, awaiting.pk, None)
    assert note.created_at == awaiting.return_due_at  # not when the sweep ran
    assert mail.outbox == []  # told in the portal; the e-mails are unchanged (claims.tasks)


def test_R33_a_second_sweep_tells_nothing_more(awaiting):
    sweep_deadlines(now=awaiting.return_due_at + dt.timedelta(hours=1))
    sweep_deadlines(now=awaiting.return_due_at + dt.timedelta(days=1))

    assert len(closed_notices()) == 1


def test_R33_a_withdrawal_after_the_deadline_closes_by_the_deadline_and_tells_it(awaiting):
    decisions.claim_cancel(claim_id=awaiting.pk, at=awaiting.return_due_at + dt.timedelta(hours=3))

    assert Claim.objects.get(pk=awaiting.pk).state == "closed_timeout"
    (note,) = closed_notices()
    assert note.created_at == awaiting.return_due_at


def test_R33_a_closing_rolled_back_leaves_no_notice(awaiting):
    with pytest.raises(RuntimeError), transaction.atomic():
        sweep_deadlines(now=awaiting.return_due_at + dt.timedelta(hours=1))
        raise RuntimeError("the caller fails after the sweep")

    assert closed_notices() == []
    assert Claim.objects.get(pk=awaiting.pk).state == "awaiting_return"


def test_R33_the_notice_reads_in_chinese_and_in_english(awaiting):
    sweep_deadlines(now=awaiting.return_due_at + dt.timedelta(hours=1))
    note = Notification.objects.select_related("claim__refund").get(kind="closed_timeout")

    with translation.override("zh-hans"):
        assert notification_text(note) == (
            "买家未在期限内寄回理赔 RO1 的退货：理赔关闭，不予赔付。"
        )
        assert str(note.get_kind_display()) == "超时未退货，已关闭"
    with translation.override("en"):
        assert notification_text(note) == (
            "The buyer shipped no return of claim RO1 before its deadline: closed, no payout."
        )
