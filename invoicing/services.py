"""Every write of the invoicing app: one audited service per state change (R70-R73).

Each service locks what it changes and fires the FSM transition through `portal.fsm` (which
checks the actor's permission, writes the audit row, saves and announces the change: the
merchant's notification and e-mail follow from there, notifications.apps and
invoicing.apps). Bad input raises ValidationError with one of the messages below, an actor
without the transition's permission one with code "forbidden"; either changes nothing.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from enrollment.models import Shop
from invoicing import selectors
from invoicing.calendar import invoice_deadline
from invoicing.models import InvoiceLine, InvoiceRequest, InvoiceState, InvoiceType
from invoicing.validators import (
    PDF_MAX_BYTES,
    PDF_TOO_LARGE,
    normalize_taxpayer_id,
    validate_invoice_number,
    validate_tracking_number,
    verify_pdf,
)
from portal import audit, fsm
from portal.clock import local_date
from portal.formkit import REASON_REQUIRED
from portal.money import money

MAX_MONTHS = 12

PERIOD_REVERSED = _("The first month of the period must not come after the last month.")
PERIOD_IN_FUTURE = _(
    "The period cannot be in the future: premiums are invoiced once charged. Choose months "
    "up to %(month)s."
)
PERIOD_TOO_LONG = _("One request covers at most 12 months.")
NOTHING_CHARGED = _("No premiums were charged in %(period)s: there is nothing to invoice.")
ALREADY_REQUESTED = _(
    "Every premium of %(period)s is already on an invoice request: see your invoice records."
)
TAKEN_MEANWHILE = _(
    "These premiums were put on another invoice request a moment ago: see your invoice records."
)
AMOUNT_CHANGED = _(
    "The amount changed since it was shown (premiums were charged or requested meanwhile): "
    "it is now %(amount)s CNY. Check it and confirm again."
)
ADDRESS_REQUIRED = _("A paper invoice is mailed: enter the mailing address, recipient and phone.")
NOT_ALLOWED = _("This is not possible on an invoice request that is %(state)s.")
NOT_FOUND = _("No such invoice request.")
PDF_REQUIRED = _("An electronic invoice needs its PDF: upload the invoice file.")
PDF_ON_PAPER = _("A paper invoice is mailed, not uploaded: leave the PDF empty.")
TRACKING_ON_ELECTRONIC = _(
    "An electronic invoice is sent as a PDF: it has no carrier or tracking number."
)
CARRIER_REQUIRED = _("Enter the carrier, e.g. 顺丰速运 or EMS.")
INVOICE_NUMBER_TAKEN = _("Invoice number %(number)s is already on another request.")
INVOICE_DATE_REQUIRED = _("Enter the invoice date.")
INVOICE_DATE_IN_FUTURE = _("The invoice date cannot be in the future.")
INVOICE_DATE_BEFORE_REQUEST = _("The invoice date cannot be before the request (%(date)s).")


@dataclass(frozen=True)
class Quote:
    """R71: what a request for the period would invoice now."""

    period_start: dt.date
    period_end: dt.date
    amount: Decimal
    policy_count: int

    @property
    def period_label(self) -> str:
        return period_label(self.period_start, self.period_end)


def period_label(first: dt.date, last: dt.date) -> str:
    a, b = f"{first:%Y-%m}", f"{last:%Y-%m}"
    return a if a == b else f"{a} – {b}"


def _last_day(month: dt.date) -> dt.date:
    following = (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return following - dt.timedelta(days=1)


def period_check(
    *, first_month: dt.date, last_month: dt.date, now: dt.datetime | None = None
) -> tuple[dt.date, dt.date]:
    """R70: whole Asia/Shanghai months up to the current one; returns (first day, last day).

    The current month is allowed: its premiums charged so far are invoiced, later ones can go
    on a later request.
    """
    first, last = first_month.replace(day=1), last_month.replace(day=1)
    this_month = local_date(now or timezone.now()).replace(day=1)
    if first > last:
        raise ValidationError({"last_month": PERIOD_REVERSED})
    if last > this_month:
        raise ValidationError(
            {"last_month": PERIOD_IN_FUTURE % {"month": f"{this_month:%Y-%m}"}}, code="future"
        )
    if (last.year - first.year) * 12 + last.month - first.month + 1 > MAX_MONTHS:
        raise ValidationError({"first_month": PERIOD_TOO_LONG})
    return first, _last_day(last)


def _nothing_to_invoice(shop: Shop, first: dt.date, last: dt.date) -> ValidationError:
    label = period_label(first, last)
    if selectors.premiums_charged_exist(shop=shop, period_start=first, period_end=last):
        return ValidationError(ALREADY_REQUESTED % {"period": label}, code="already_requested")
    return ValidationError(NOTHING_CHARGED % {"period": label}, code="nothing_charged")


def invoice_quote(
    *, shop: Shop, first_month: dt.date, last_month: dt.date, now: dt.datetime | None = None
) -> Quote:
    """R70/R71: the amount a request for these months would have, or why there is none."""
    now = now or timezone.now()
    first, last = period_check(first_month=first_month, last_month=last_month, now=now)
    premiums = list(
        selectors.invoiceable_policies(
            shop=shop, period_start=first, period_end=last, now=now
        ).values_list("premium", flat=True)
    )
    if not premiums:
        raise _nothing_to_invoice(shop, first, last)
    # Summed in Python: Decimal addition is exact on every database (R1).
    return Quote(first, last, money(sum(premiums, Decimal("0.00"))), len(premiums))


def _lock_shop(shop_id: int) -> None:
    """Serialise the invoice requests of one shop (the partial unique index on live lines
    holds even without this lock; with it the loser gets the clear "already" message)."""
    Shop.objects.select_for_update().get(pk=shop_id)


def _new_request(*, shop, actor, first, last, now, invoice_type, **details) -> InvoiceRequest:
    """The request as typed, checked field by field (R70); not saved, no amount yet."""
    invoice = InvoiceRequest(
        shop=shop,
        period_start=first,
        period_end=last,
        invoice_type=invoice_type,
        title=(details["title"] or "").strip(),
        taxpayer_id=normalize_taxpayer_id(details["taxpayer_id"]),
        email=(details["email"] or "").strip(),
        submitted_by=actor,
        submitted_at=now,
        deadline_at=invoice_deadline(now),  # R72/R90: stored when the request enters the state
        amount=Decimal("0.01"),
        policy_count=0,
    )
    if invoice_type == InvoiceType.PAPER_SPECIAL:
        mailing = ("mailing_address", "recipient", "phone")
        for name in mailing:
            setattr(invoice, name, (details.get(name) or "").strip())
        missing = {name: ADDRESS_REQUIRED for name in mailing if not getattr(invoice, name)}
        if missing:
            raise ValidationError(missing)
    invoice.full_clean(exclude=["shop", "submitted_by", "state", "amount", "policy_count"])
    return invoice


@transaction.atomic
def invoice_request_create(
    *,
    shop: Shop,
    actor,
    first_month: dt.date,
    last_month: dt.date,
    invoice_type: str,
    title: str,
    taxpayer_id: str,
    email: str,
    mailing_address: str = "",
    recipient: str = "",
    phone: str = "",
    expected_amount: Decimal | None = None,
) -> InvoiceRequest:
    """R70-R72: request an invoice for the period's premiums not yet on a live invoice.

    `expected_amount` is the amount the merchant saw: if it changed meanwhile, nothing is
    written and the error says the new amount.
    """
    _lock_shop(shop.pk)
    now = timezone.now()
    first, last = period_check(first_month=first_month, last_month=last_month, now=now)
    invoice = _new_request(
        shop=shop,
        actor=actor,
        first=first,
        last=last,
        now=now,
        invoice_type=invoice_type,
        title=title,
        taxpayer_id=taxpayer_id,
        email=email,
        mailing_address=mailing_address,
        recipient=recipient,
        phone=phone,
    )
    policies = list(
        selectors.invoiceable_policies(
            shop=shop, period_start=first, period_end=last, now=now
        ).values_list("pk", "premium")
    )
    if not policies:
        raise _nothing_to_invoice(shop, first, last)
    amount = money(sum((premium for _pk, premium in policies), Decimal("0.00")))  # exact (R1)
    if expected_amount is not None and money(expected_amount) != amount:
        raise ValidationError(AMOUNT_CHANGED % {"amount": amount}, code="amount_changed")
    invoice.amount, invoice.policy_count = amount, len(policies)
    try:
        with transaction.atomic():
            invoice.save()
            InvoiceLine.objects.bulk_create(
                InvoiceLine(invoice=invoice, policy_id=pk, premium=premium)
                for pk, premium in policies
            )
    except IntegrityError:  # invoice_line_one_live_per_policy: a concurrent request won
        raise ValidationError(TAKEN_MEANWHILE, code="taken_meanwhile") from None
    audit.log_created(
        invoice, by=actor, state=InvoiceState.SUBMITTED, transition="submit", description=""
    )
    return invoice


# --- transitions (R73) ---


def _locked(invoice_id: int, **scope) -> InvoiceRequest:
    return fsm.lock(InvoiceRequest.objects.select_related("shop"), pk=invoice_id, **scope)


def _not_allowed(invoice: InvoiceRequest) -> ValidationError:
    return ValidationError(NOT_ALLOWED % {"state": invoice.get_state_display()}, code="state")


def _run(invoice: InvoiceRequest, name: str, *, by, save: bool = True, **kwargs) -> None:
    """R40/R73: fire the transition for `by` (refused clearly by state, "forbidden" without
    the permission declared on the model), audited, and saved unless the caller saves."""
    fsm.fire(invoice, name, by=by, refused=lambda: _not_allowed(invoice), save=save, **kwargs)


def _release(invoice: InvoiceRequest) -> None:
    """R71: a rejected or cancelled request gives its premiums back."""
    InvoiceLine.objects.filter(invoice=invoice, live=True).update(live=False)


def _read_upload(pdf) -> bytes:
    if isinstance(pdf, bytes):
        return pdf
    pdf.seek(0)
    return pdf.read()


def _issue_check(invoice, *, invoice_number, invoice_date, pdf, now) -> bytes | None:
    """What is wrong with an issue form, field by field; returns the PDF's bytes."""
    errors = {}
    try:
        validate_invoice_number(invoice_number)
    except ValidationError as error:
        errors["invoice_number"] = error.messages
    else:
        if InvoiceRequest.objects.filter(invoice_number=invoice_number).exists():
            errors["invoice_number"] = INVOICE_NUMBER_TAKEN % {"number": invoice_number}
    requested_on = local_date(invoice.submitted_at)
    if invoice_date is None:
        errors["invoice_date"] = INVOICE_DATE_REQUIRED
    elif invoice_date > local_date(now):
        errors["invoice_date"] = INVOICE_DATE_IN_FUTURE
    elif invoice_date < requested_on:
        errors["invoice_date"] = INVOICE_DATE_BEFORE_REQUEST % {"date": f"{requested_on:%Y-%m-%d}"}
    data = None
    if invoice.is_paper:
        if pdf:
            errors["pdf"] = PDF_ON_PAPER
    elif not pdf:
        errors["pdf"] = PDF_REQUIRED
    elif getattr(pdf, "size", 0) > PDF_MAX_BYTES:
        errors["pdf"] = PDF_TOO_LARGE
    else:
        data = _read_upload(pdf)
        try:
            verify_pdf(data)
        except ValidationError as error:
            errors["pdf"] = error.messages
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def invoice_issue(
    *, invoice_id: int, actor, invoice_number: str, invoice_date: dt.date, pdf=None
) -> InvoiceRequest:
    """R73: finance issues the invoice: number and date, and the PDF of an electronic one
    (verified to be a PDF, stored privately through Django's storage API)."""
    invoice = _locked(invoice_id)
    if not can_proceed(invoice.issue):
        raise _not_allowed(invoice)
    now, number = timezone.now(), (invoice_number or "").strip()
    data = _issue_check(invoice, invoice_number=number, invoice_date=invoice_date, pdf=pdf, now=now)
    _run(
        invoice,
        "issue",
        by=actor,
        save=False,  # saved below with the PDF, once
        at=now,
        invoice_number=number,
        invoice_date=invoice_date,
    )
    if data is not None:
        invoice.invoice_pdf.save("invoice.pdf", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError:  # invoice_number_unique: the same number entered twice at once
        if invoice.invoice_pdf:
            invoice.invoice_pdf.storage.delete(invoice.invoice_pdf.name)
        raise ValidationError(
            {"invoice_number": INVOICE_NUMBER_TAKEN % {"number": number}}
        ) from None
    return invoice


@transaction.atomic
def invoice_ship(*, invoice_id: int, actor, carrier: str, tracking_number: str) -> InvoiceRequest:
    """R73: the paper invoice is mailed: carrier and tracking number. Paper only."""
    invoice = _locked(invoice_id)
    if not invoice.is_paper:
        raise ValidationError(
            {"tracking_number": TRACKING_ON_ELECTRONIC}, code="tracking_on_electronic"
        )
    if not can_proceed(invoice.ship):
        raise _not_allowed(invoice)
    carrier, tracking_number = (carrier or "").strip(), (tracking_number or "").strip()
    errors = {}
    if not carrier:
        errors["carrier"] = CARRIER_REQUIRED
    try:
        validate_tracking_number(tracking_number)
    except ValidationError as error:
        errors["tracking_number"] = error.messages
    if errors:
        raise ValidationError(errors)
    _run(
        invoice,
        "ship",
        by=actor,
        at=timezone.now(),
        carrier=carrier,
        tracking_number=tracking_number,
    )
    return invoice


@transaction.atomic
def invoice_reject(*, invoice_id: int, actor, reason: str) -> InvoiceRequest:
    """R73: finance refuses the request with a reason; its premiums are released (R71)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    invoice = _locked(invoice_id)
    _run(invoice, "reject", by=actor, at=timezone.now(), description=reason)
    _release(invoice)
    return invoice


@transaction.atomic
def invoice_request_cancel(*, invoice_id: int, shop: Shop, actor) -> InvoiceRequest:
    """R73: the merchant withdraws a request finance has not acted on; premiums released."""
    try:
        invoice = _locked(invoice_id, shop=shop)  # R100: only the shop's own requests
    except InvoiceRequest.DoesNotExist:
        raise ValidationError(NOT_FOUND, code="not_found") from None
    _run(invoice, "cancel", by=actor, at=timezone.now(), description="")
    _release(invoice)
    return invoice
