"""R73: submitted -> issued -> shipped (paper only); submitted -> rejected | cancelled.

Every transition: its effect, its audit row, its e-mail after commit, each source state it
refuses, and each failing guard leaving the request and the storage untouched.
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from invoicing import services, validators
from invoicing.models import InvoiceLine, InvoiceRequest
from portal.audit import timeline
from tests.invoicing.helpers import NUMBER, PAPER, PDF, issue, shanghai, ship

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def electronic(premiums, submit):
    return submit()


@pytest.fixture
def paper(premiums, submit):
    return submit(**PAPER)


def reloaded(invoice) -> InvoiceRequest:
    return InvoiceRequest.objects.get(pk=invoice.pk)


def unchanged(invoice) -> bool:
    now = reloaded(invoice)
    return (now.state, now.invoice_number, now.tracking_number, now.invoice_pdf.name) == (
        invoice.state,
        invoice.invoice_number,
        invoice.tracking_number,
        invoice.invoice_pdf.name,
    )


def stored_pdfs(media) -> list:
    return sorted(media.rglob("*.pdf"))


# --- issue ---


def test_R73_finance_issues_an_electronic_invoice_with_its_pdf(
    electronic, fiona, mailoutbox, django_capture_on_commit_callbacks, media
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = issue(electronic, fiona)

    invoice = reloaded(invoice)
    assert invoice.state == "issued" and invoice.is_processed
    assert (invoice.invoice_number, invoice.invoice_date) == (NUMBER, D(2026, 7, 10))
    assert invoice.processed_at == invoice.issued_at == shanghai(2026, 7, 10, 10, 0)
    assert invoice.invoice_pdf.name.startswith("invoices/2026/07/")
    with invoice.invoice_pdf.open("rb") as handle:
        assert handle.read() == PDF
    assert stored_pdfs(media) == [media / invoice.invoice_pdf.name]
    assert [(e.source_state, e.state, e.by) for e in timeline(invoice)][-1] == (
        "submitted",
        "issued",
        fiona,
    )
    (mail,) = mailoutbox
    assert mail.to == ["finance@shop-a.cn", "alice@shop-a.cn"]
    assert NUMBER in mail.body and "/invoices/" in mail.body
    assert mail.attachments[0][0] == f"invoice-{NUMBER}.pdf"
    assert mail.attachments[0][1] == PDF


def test_R73_an_uploaded_file_works_as_well_as_bytes(electronic, fiona):
    upload = SimpleUploadedFile("发票.pdf", PDF, content_type="application/pdf")
    assert issue(electronic, fiona, pdf=upload).invoice_pdf


def test_R73_no_email_before_the_transaction_commits(electronic, fiona, mailoutbox):
    issue(electronic, fiona)
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"<html><body>%PDF-1.4</body></html>", "HTML"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "an image"),
        (b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "a PDF cut short: no %%EOF"),
        (b"MZ\x90\x00" + PDF, "a PDF behind another header"),
        (PDF + b"\0" * 2048, "%%EOF far from the end"),
    ],
)
def test_R73_a_pdf_that_is_not_one_is_refused_and_nothing_is_stored(
    electronic, fiona, media, content, why
):
    with pytest.raises(ValidationError) as caught:
        issue(electronic, fiona, pdf=content)
    assert caught.value.message_dict == {"pdf": [str(validators.NOT_A_PDF)]}, why
    assert unchanged(electronic)
    assert stored_pdfs(media) == []
    assert len(timeline(electronic)) == 1  # only the submission


def test_R73_an_electronic_invoice_needs_its_pdf(electronic, fiona):
    with pytest.raises(ValidationError) as caught:
        services.invoice_issue(
            invoice_id=electronic.pk,
            actor=fiona,
            invoice_number=NUMBER,
            invoice_date=D(2026, 7, 10),
        )
    assert caught.value.message_dict == {"pdf": [str(services.PDF_REQUIRED)]}
    assert unchanged(electronic)


def test_R73_a_paper_invoice_is_issued_without_pdf_and_is_not_processed_yet(
    paper, fiona, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = issue(paper, fiona)

    assert invoice.state == "issued" and not invoice.is_processed and invoice.is_pending
    assert invoice.processed_at is None and not invoice.invoice_pdf
    assert NUMBER in mailoutbox[0].body and not mailoutbox[0].attachments


def test_R73_a_pdf_for_a_paper_invoice_is_refused(paper, fiona, media):
    with pytest.raises(ValidationError) as caught:
        issue(paper, fiona, pdf=PDF)
    assert caught.value.message_dict == {"pdf": [str(services.PDF_ON_PAPER)]}
    assert unchanged(paper) and stored_pdfs(media) == []


@pytest.mark.parametrize(
    ("number", "date", "field"),
    [
        ("INV-1", D(2026, 7, 10), "invoice_number"),  # not digits
        ("1234567", D(2026, 7, 10), "invoice_number"),  # too short
        (NUMBER, D(2026, 7, 11), "invoice_date"),  # tomorrow
        (NUMBER, D(2026, 7, 9), "invoice_date"),  # before the request
        (NUMBER, None, "invoice_date"),
    ],
)
def test_R73_a_bad_invoice_number_or_date_is_refused(electronic, fiona, number, date, field):
    with pytest.raises(ValidationError) as caught:
        issue(electronic, fiona, number=number, date=date)
    assert set(caught.value.message_dict) == {field}
    assert unchanged(electronic)


def test_R73_an_invoice_number_is_used_once(premiums, submit, fiona):
    first = submit(last_month=D(2026, 5, 1))
    second = submit(first_month=D(2026, 6, 1))
    issue(first, fiona)

    with pytest.raises(ValidationError) as caught:
        issue(second, fiona)
    assert "invoice_number" in caught.value.message_dict
    assert unchanged(second)


# --- ship ---


def test_R73_finance_ships_a_paper_invoice_with_its_tracking_number(
    paper, fiona, mailoutbox, django_capture_on_commit_callbacks
):
    issue(paper, fiona)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = ship(paper, fiona)

    invoice = reloaded(invoice)
    assert invoice.state == "shipped" and invoice.is_processed and not invoice.is_pending
    assert (invoice.carrier, invoice.tracking_number) == ("顺丰速运", "SF1400000000001")
    assert invoice.processed_at == invoice.shipped_at
    assert [e.state for e in timeline(invoice)] == ["submitted", "issued", "shipped"]
    assert "SF1400000000001" in mailoutbox[-1].body
    assert "李会计" in mailoutbox[-1].body


def test_R73_a_tracking_number_on_an_electronic_invoice_is_refused(electronic, fiona):
    issue(electronic, fiona)
    electronic = reloaded(electronic)

    with pytest.raises(ValidationError) as caught:
        ship(electronic, fiona)
    assert caught.value.message_dict == {"tracking_number": [str(services.TRACKING_ON_ELECTRONIC)]}
    assert unchanged(electronic)


def test_R73_an_electronic_request_cannot_get_a_tracking_number_before_issue_either(
    electronic, fiona
):
    with pytest.raises(ValidationError) as caught:
        ship(electronic, fiona)
    assert caught.value.message_dict == {"tracking_number": [str(services.TRACKING_ON_ELECTRONIC)]}
    assert unchanged(electronic)


@pytest.mark.parametrize(
    ("carrier", "tracking", "field"),
    [("", "SF1400000000001", "carrier"), ("顺丰速运", "SF 14", "tracking_number")],
)
def test_R73_shipping_needs_a_carrier_and_a_tracking_number(paper, fiona, carrier, tracking, field):
    paper = issue(paper, fiona)
    with pytest.raises(ValidationError) as caught:
        ship(paper, fiona, carrier=carrier, tracking=tracking)
    assert set(caught.value.message_dict) == {field}
    assert unchanged(paper)


# --- reject and cancel: the premiums are released (R71) ---


def test_R73_finance_rejects_with_a_reason_and_the_premiums_are_released(
    electronic, fiona, submit, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = services.invoice_reject(
            invoice_id=electronic.pk, actor=fiona, reason="抬头与营业执照不一致"
        )

    assert invoice.state == "rejected" and invoice.rejection_reason == "抬头与营业执照不一致"
    assert not invoice.is_pending and not invoice.is_overdue
    assert not InvoiceLine.objects.filter(live=True).exists()
    entry = timeline(invoice).last()
    assert (entry.state, entry.by, entry.description) == ("rejected", fiona, "抬头与营业执照不一致")
    assert "抬头与营业执照不一致" in mailoutbox[0].body
    assert submit().amount == Decimal("22.99")  # the same premiums, requested again


def test_R73_a_rejection_needs_a_reason(electronic, fiona):
    with pytest.raises(ValidationError) as caught:
        services.invoice_reject(invoice_id=electronic.pk, actor=fiona, reason="  ")
    assert set(caught.value.message_dict) == {"reason"}
    assert unchanged(electronic)


def test_R73_the_merchant_cancels_and_the_premiums_are_released(electronic, alice, submit):
    invoice = services.invoice_request_cancel(
        invoice_id=electronic.pk, shop=alice.merchant.shop, actor=alice
    )

    assert invoice.state == "cancelled" and invoice.closed_at is not None
    assert [(e.state, e.by) for e in timeline(invoice)][-1] == ("cancelled", alice)
    assert not InvoiceLine.objects.filter(live=True).exists()
    assert submit().amount == Decimal("22.99")


def test_R100_a_merchant_cannot_cancel_another_shops_request(electronic, bob):
    with pytest.raises(ValidationError) as caught:
        services.invoice_request_cancel(invoice_id=electronic.pk, shop=bob.merchant.shop, actor=bob)
    assert caught.value.code == "not_found"
    assert unchanged(electronic)


# --- each transition refuses the states it does not start from ---


def _in_state(state, paper, fiona, alice):
    if state in ("issued", "shipped"):
        issue(paper, fiona)
    if state == "shipped":
        ship(paper, fiona)
    if state == "rejected":
        services.invoice_reject(invoice_id=paper.pk, actor=fiona, reason="no")
    if state == "cancelled":
        services.invoice_request_cancel(invoice_id=paper.pk, shop=paper.shop, actor=alice)
    return reloaded(paper)


ACTIONS = {
    "issue": lambda inv, fiona, alice: issue(inv, fiona, number="26330000000099999999"),
    "ship": lambda inv, fiona, alice: ship(inv, fiona, tracking="SF1499999999999"),
    "reject": lambda inv, fiona, alice: services.invoice_reject(
        invoice_id=inv.pk, actor=fiona, reason="no"
    ),
    "cancel": lambda inv, fiona, alice: services.invoice_request_cancel(
        invoice_id=inv.pk, shop=inv.shop, actor=alice
    ),
}
ALLOWED = {
    "issue": {"submitted"},
    "ship": {"issued"},
    "reject": {"submitted"},
    "cancel": {"submitted"},
}
STATES = ["submitted", "issued", "shipped", "rejected", "cancelled"]


@pytest.mark.parametrize(
    ("action", "state"),
    [(a, s) for a in ACTIONS for s in STATES if s not in ALLOWED[a]],
)
def test_R73_a_transition_from_a_wrong_state_is_refused(paper, fiona, alice, action, state):
    invoice = _in_state(state, paper, fiona, alice)
    entries = len(timeline(invoice))

    with pytest.raises(ValidationError) as caught:
        ACTIONS[action](invoice, fiona, alice)
    assert caught.value.code == "state"
    assert unchanged(invoice)
    assert len(timeline(invoice)) == entries


# --- R72/R74: overdue ---


def test_R72_a_request_is_overdue_just_after_its_deadline_unless_processed(premiums, submit):
    electronic = submit(last_month=D(2026, 5, 1))
    paper = submit(first_month=D(2026, 6, 1), **PAPER)
    # Submitted Fri 10 Jul 2026: deadline Mon 20 Jul, 23:59:59.999999 in Shanghai.
    with time_machine.travel(shanghai(2026, 7, 20, 23, 59, 59), tick=False):
        assert not electronic.is_overdue
    with time_machine.travel(shanghai(2026, 7, 21, 0, 0), tick=False):
        assert electronic.is_overdue and paper.is_overdue


def test_R73_a_paper_invoice_issued_but_not_shipped_by_the_deadline_is_overdue(paper, fiona):
    invoice = issue(paper, fiona)
    with time_machine.travel(shanghai(2026, 7, 21, 0, 0), tick=False):
        assert invoice.is_overdue
        shipped = ship(invoice, fiona)
        assert not shipped.is_overdue and shipped.processed_late


def test_R73_an_issued_electronic_invoice_is_processed_and_never_overdue(electronic, fiona):
    invoice = issue(electronic, fiona)
    with time_machine.travel(shanghai(2026, 8, 1, 0, 0), tick=False):
        assert not invoice.is_overdue and not invoice.processed_late
