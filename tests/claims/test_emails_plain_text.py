"""Issue 11: e-mails are plain text, so what a person typed (a shop name, a reviewer's
reason) reaches the inbox as typed, never HTML-escaped (`A&amp;B`, `&#x27;`), with money
and times in the pages' one format (¥1,770.60; Asia/Shanghai, no "+00:00")."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from claims.models import Claim
from claims.services import decisions
from enrollment import services as enrollment_services
from enrollment.models import Shop

pytestmark = pytest.mark.django_db

TYPED = """A&B "Tom's" <电器>"""
EMAILS = Path(settings.BASE_DIR) / "templates" / "emails"


def test_plain_text_e_mail_templates_do_not_escape_and_html_ones_do():
    texts, pages = sorted(EMAILS.glob("*.txt")), sorted(EMAILS.glob("*.html"))
    assert texts, "no e-mail templates found"
    for template in texts:
        assert "{% autoescape off %}" in template.read_text(), f"{template.name} escapes HTML"
    for template in pages:
        assert "autoescape off" not in template.read_text(), f"{template.name} must escape"


def test_an_invitation_e_mail_shows_the_shop_name_as_typed(uma, django_capture_on_commit_callbacks):
    expires = dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_services.invitation_create(
            platform_shop_id="TM-900001",
            shop_name=TYPED,
            contact_email="owner@typed.cn",
            expires_at=expires,
            actor=uma,
        )

    (message,) = mail.outbox
    assert Shop.objects.get(platform_shop_id="TM-900001").name == TYPED
    assert TYPED in message.subject and TYPED in message.body
    assert "&amp;" not in message.body and "&#x27;" not in message.body
    assert "2027-01-01 00:30" in message.body  # 16:30 UTC is 00:30 the next day in Shanghai
    assert "+00:00" not in message.body


def test_a_rejection_e_mail_shows_the_reviewers_reason_as_typed(
    request_refund, rita, django_capture_on_commit_callbacks
):
    refund = request_refund()
    claim = Claim.objects.get(refund=refund)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decisions.claim_reject(claim_id=claim.pk, actor=rita, reason=TYPED)

    (message,) = mail.outbox
    assert TYPED in message.body
    assert not re.search(r"&(amp|quot|lt|gt|#x27|#39);", message.body)


def test_a_payout_e_mail_shows_the_amount_in_yuan(
    request_refund, rita, django_capture_on_commit_callbacks
):
    refund = request_refund()  # refund only: approved means paid at once
    claim = Claim.objects.get(refund=refund)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decisions.claim_approve(claim_id=claim.pk, actor=rita, at=timezone.now())

    claim.refresh_from_db()
    (message,) = mail.outbox
    amount = claim.payout.amount
    assert f"¥{amount:,}" in message.body, message.body
    assert f"{amount} CNY" not in message.body
