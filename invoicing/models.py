"""Invoices for premiums (R70-R75) and the working-day calendar they are processed on (R72).

Models hold fields, constraints and FSM transitions (guards and field assignments only).
Every write goes through `invoicing.services`; every read a page needs through
`invoicing.selectors`.
"""

import datetime as dt
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMModelMixin, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from claims.models import MONEY
from enrollment.models import Shop
from enrollment.validators import validate_phone
from invoicing.validators import (
    validate_invoice_number,
    validate_taxpayer_id,
    validate_tracking_number,
)
from portal.clock import local_date
from portal.fields import actor_field
from portal.fsm import is_shop_merchant, state_field

PROCESS_PERMISSION = "invoicing.process_invoice"


class CalendarOverride(models.Model):
    """R72: finance's correction of one day of the working calendar (a make-up working day
    the `holidays` package does not know yet, a holiday, ...). It wins over the package."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(
        _("working day"), help_text=_("Ticked: a working day. Unticked: a day off.")
    )
    note = models.CharField(
        _("note"), max_length=200, help_text=_("e.g. 2027 Spring Festival make-up working day")
    )
    updated_by = actor_field(_("updated by"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("working calendar override")
        verbose_name_plural = _("working calendar overrides")
        ordering = ["-date"]

    def __str__(self):
        kind = _("working day") if self.is_working_day else _("day off")
        return f"{self.date:%Y-%m-%d} ({kind})"


class InvoiceType(models.TextChoices):
    ELECTRONIC_GENERAL = "electronic_general", _("Electronic general VAT invoice")
    PAPER_SPECIAL = "paper_special", _("Paper special VAT invoice")


class InvoiceState(models.TextChoices):
    # A message context: "Issued" alone is already a column ("issued at") elsewhere.
    SUBMITTED = "submitted", pgettext_lazy("invoice state", "Submitted")
    ISSUED = "issued", pgettext_lazy("invoice state", "Issued")
    SHIPPED = "shipped", pgettext_lazy("invoice state", "Shipped")
    REJECTED = "rejected", pgettext_lazy("invoice state", "Rejected")
    CANCELLED = "cancelled", pgettext_lazy("invoice state", "Cancelled")


# R71: a premium on a request in one of these states is invoiced (or about to be).
LIVE_STATES = [InvoiceState.SUBMITTED, InvoiceState.ISSUED, InvoiceState.SHIPPED]
# R73: "processed" is issued for an electronic invoice, shipped for a paper one.
PENDING = Q(state=InvoiceState.SUBMITTED) | Q(
    state=InvoiceState.ISSUED, invoice_type=InvoiceType.PAPER_SPECIAL
)


def invoice_pdf_path(instance, filename):
    # Private storage: a random name that tells nothing about the shop (never served by URL).
    return f"invoices/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf"


def _is_paper(invoice) -> bool:
    return invoice.invoice_type == InvoiceType.PAPER_SPECIAL


class InvoiceRequest(FSMModelMixin, models.Model):
    """A merchant's request for a VAT invoice (发票) over the premiums of whole months (R70)."""

    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="invoice_requests", verbose_name=_("shop")
    )
    # R70: whole Asia/Shanghai months: the first day of the first, the last day of the last.
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    invoice_type = models.CharField(_("invoice type"), max_length=20, choices=InvoiceType.choices)
    title = models.CharField(_("invoice title (抬头)"), max_length=200)
    taxpayer_id = models.CharField(
        _("taxpayer id (统一社会信用代码)"), max_length=18, validators=[validate_taxpayer_id]
    )
    email = models.EmailField(_("e-mail"))
    mailing_address = models.CharField(_("mailing address"), max_length=300, blank=True)
    recipient = models.CharField(_("recipient"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    # R71: frozen at submission; the premiums themselves are the request's lines.
    amount = models.DecimalField(_("amount"), **MONEY)
    policy_count = models.PositiveIntegerField(_("policies"))
    state = state_field(InvoiceState.SUBMITTED, max_length=12, verbose_name=_("status"))
    submitted_by = actor_field(_("submitted by"))
    submitted_at = models.DateTimeField(_("submitted at"))
    # R72/R90: stored at submission: the end (23:59:59.999999 Asia/Shanghai) of the 6th
    # working day after the submission date.
    deadline_at = models.DateTimeField(_("deadline"))
    invoice_number = models.CharField(
        _("invoice number"), max_length=20, blank=True, validators=[validate_invoice_number]
    )
    invoice_date = models.DateField(_("invoice date"), null=True, blank=True)
    invoice_pdf = models.FileField(
        _("invoice PDF"), upload_to=invoice_pdf_path, max_length=200, blank=True
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    carrier = models.CharField(_("carrier"), max_length=50, blank=True)
    tracking_number = models.CharField(
        _("tracking number"), max_length=40, blank=True, validators=[validate_tracking_number]
    )
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    closed_at = models.DateTimeField(_("rejected or cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice request")
        verbose_name_plural = _("invoice requests")
        ordering = ["-submitted_at", "-id"]
        permissions = [("process_invoice", "Can issue, ship and reject invoice requests")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")),
                name="invoice_period_ordered",
            ),
            # R70: a paper invoice is mailed: address, recipient and phone.
            models.CheckConstraint(
                condition=Q(invoice_type=InvoiceType.ELECTRONIC_GENERAL)
                | (~Q(mailing_address="") & ~Q(recipient="") & ~Q(phone="")),
                name="invoice_paper_has_address",
            ),
            # R73: only paper invoices travel with a tracking number.
            models.CheckConstraint(
                condition=Q(invoice_type=InvoiceType.PAPER_SPECIAL) | Q(tracking_number=""),
                name="invoice_electronic_no_tracking",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["issued", "shipped"]) | ~Q(invoice_number=""),
                name="invoice_issued_has_number",
            ),
            models.UniqueConstraint(
                fields=["invoice_number"],
                condition=~Q(invoice_number=""),
                name="invoice_number_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "-submitted_at", "-id"]),
            models.Index(fields=["state", "deadline_at"]),
        ]

    def __str__(self):
        return _("Invoice request %(number)s of %(shop)s, %(period)s") % {
            "number": self.reference,
            "shop": self.shop.name,
            "period": self.period_label,
        }

    # --- derived values (R72-R74) ---

    @property
    def reference(self) -> str:
        return f"#{self.pk}"

    @property
    def period_label(self) -> str:
        first, last = f"{self.period_start:%Y-%m}", f"{self.period_end:%Y-%m}"
        return first if first == last else f"{first} – {last}"

    @property
    def is_paper(self) -> bool:
        return _is_paper(self)

    @property
    def is_processed(self) -> bool:
        """R73: issued (electronic) or shipped (paper)."""
        if self.is_paper:
            return self.state == InvoiceState.SHIPPED
        return self.state == InvoiceState.ISSUED

    @property
    def is_pending(self) -> bool:
        """Waiting for finance: neither processed nor rejected or cancelled."""
        return self.state == InvoiceState.SUBMITTED or (
            self.state == InvoiceState.ISSUED and self.is_paper
        )

    @property
    def is_overdue(self) -> bool:
        """R72/R74: not processed and past the end of the 6th working day."""
        return self.is_pending and timezone.now() > self.deadline_at

    @property
    def due_date(self) -> dt.date:
        return local_date(self.deadline_at)

    @property
    def processed_late(self) -> bool:
        return self.processed_at is not None and self.processed_at > self.deadline_at

    # --- R73 transitions: guards and field assignments only (audit rows by django-fsm-log) ---

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=InvoiceState.SUBMITTED,
        target=InvoiceState.ISSUED,
        permission=PROCESS_PERMISSION,
        custom={"label": _("Issue")},
    )
    def issue(self, *, by, at: dt.datetime, invoice_number: str, invoice_date, description=""):
        self.invoice_number = invoice_number
        self.invoice_date = invoice_date
        self.issued_at = at
        if not self.is_paper:
            self.processed_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=InvoiceState.ISSUED,
        target=InvoiceState.SHIPPED,
        conditions=[_is_paper],
        permission=PROCESS_PERMISSION,
        custom={"label": _("Ship")},
    )
    def ship(self, *, by, at: dt.datetime, carrier: str, tracking_number: str, description=""):
        self.carrier = carrier
        self.tracking_number = tracking_number
        self.shipped_at = at
        self.processed_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=InvoiceState.SUBMITTED,
        target=InvoiceState.REJECTED,
        permission=PROCESS_PERMISSION,
        custom={"label": _("Reject")},
    )
    def reject(self, *, by, at: dt.datetime, description: str):
        self.rejection_reason = description
        self.closed_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=InvoiceState.SUBMITTED,
        target=InvoiceState.CANCELLED,
        permission=is_shop_merchant,
        custom={"label": _("Cancel"), "admin": False},
    )
    def cancel(self, *, by, at: dt.datetime, description=""):
        """By a merchant of the request's shop (R100), while finance has not acted yet."""
        self.closed_at = at


class InvoiceLine(models.Model):
    """R71: one premium (policy) on one invoice request.

    `live` is true while the request is submitted, issued or shipped and turns false when it
    is rejected or cancelled (the premium is released). The partial unique index on
    (policy) where live holds a premium to at most one live invoice, whatever the concurrency.
    """

    invoice = models.ForeignKey(
        InvoiceRequest,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=_("invoice request"),
    )
    policy = models.ForeignKey(
        "claims.Policy",
        on_delete=models.PROTECT,
        related_name="invoice_lines",
        verbose_name=_("policy"),
    )
    premium = models.DecimalField(_("premium"), **MONEY)
    live = models.BooleanField(_("live"), default=True)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        constraints = [
            models.UniqueConstraint(
                fields=["policy"], condition=Q(live=True), name="invoice_line_one_live_per_policy"
            ),
            models.UniqueConstraint(fields=["invoice", "policy"], name="invoice_line_once"),
        ]

    def __str__(self):
        return f"{self.invoice_id}: {self.policy_id} {self.premium}"
