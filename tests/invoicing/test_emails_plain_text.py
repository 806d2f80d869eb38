"""Issue 11: the invoice e-mail is plain text: the finance reviewer's reason arrives as typed
and the amount in the pages' one money format."""

import pytest
from django.core import mail

from invoicing import services

pytestmark = pytest.mark.django_db

TYPED = """Tax id & name don't match <税号>"""


def test_a_rejected_invoice_e_mail_shows_the_reason_as_typed_and_the_amount_in_yuan(
    premiums, submit, fiona, django_capture_on_commit_callbacks
):
    invoice = submit()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_reject(invoice_id=invoice.pk, actor=fiona, reason=TYPED)

    (message,) = mail.outbox
    assert TYPED in message.body
    assert "&amp;" not in message.body and "&#x27;" not in message.body
    assert f"¥{invoice.amount:,}" in message.body
