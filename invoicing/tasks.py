"""Background work of the invoicing app: the merchant's e-mails (django.tasks, after commit),
enqueued by `email_merchant_of_changes`, a listener of `portal.changes` (invoicing.apps)."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from invoicing.models import InvoiceRequest
from portal.changes import Change

EVENTS = {"issued", "shipped", "rejected"}
TOLD_BY = {"issue": "issued", "ship": "shipped", "reject": "rejected"}  # R73: transitions


def recipients(invoice: InvoiceRequest) -> list[str]:
    """The e-mail given on the request, then the shop's merchant users, each once."""
    emails = [invoice.email, *invoice.shop.merchants.values_list("user__email", flat=True)]
    seen, result = set(), []
    for email in emails:
        if email and email.lower() not in seen:
            seen.add(email.lower())
            result.append(email)
    return result


@task
def notify_invoice(*, invoice_id: int, event: str) -> int:
    """R73/R74: tell the merchant the invoice was issued (with the PDF of an electronic
    invoice attached), shipped (carrier and tracking number) or rejected (the reason)."""
    if event not in EVENTS:
        raise ValueError(f"unknown invoice event {event!r}")
    invoice = InvoiceRequest.objects.select_related("shop").get(pk=invoice_id)
    to = recipients(invoice)
    if not to:
        return 0
    context = {
        "invoice": invoice,
        "event": event,
        "records_url": settings.PORTAL_BASE_URL + reverse("invoicing:records"),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("emails/invoice_subject.txt", context).strip()
        body = render_to_string("emails/invoice_body.txt", context)
    message = EmailMessage(subject, body, None, to)
    if event == "issued" and invoice.invoice_pdf:
        with invoice.invoice_pdf.open("rb") as handle:
            message.attach(
                f"invoice-{invoice.invoice_number}.pdf", handle.read(), "application/pdf"
            )
    return message.send()


def email_merchant_of_changes(changes: list[Change]) -> None:
    """After commit, the merchant's e-mail of each invoice request issued, shipped or
    rejected among `changes` (a withdrawal is the merchant's own act: none)."""
    for change in changes:
        if change.model is InvoiceRequest and change.name in TOLD_BY:
            invoice_id, event = change.pk, TOLD_BY[change.name]
            transaction.on_commit(
                lambda invoice_id=invoice_id, event=event: notify_invoice.enqueue(
                    invoice_id=invoice_id, event=event
                )
            )
