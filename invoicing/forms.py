"""Forms of the invoicing app: the merchant's request (R70) and finance's admin actions (R73)."""

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enrollment.validators import validate_phone
from invoicing import services
from invoicing.models import InvoiceState, InvoiceType
from invoicing.validators import (
    normalize_taxpayer_id,
    validate_invoice_number,
    validate_taxpayer_id,
    validate_tracking_number,
)
from portal.formkit import SORTS, FilterForm, PortalForm

MONTH = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")
MONTH_INVALID = _("Enter a month as YYYY-MM, e.g. 2026-05.")


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value):
        if isinstance(value, dt.date):
            return f"{value:%Y-%m}"
        return value


class MonthField(forms.Field):
    """A whole month, typed or picked as YYYY-MM; cleaned to its first day."""

    widget = MonthInput
    default_error_messages = {"invalid": MONTH_INVALID}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.date):
            return value.replace(day=1)
        found = MONTH.match(str(value))
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return dt.date(int(found.group(1)), int(found.group(2)), 1)


class TaxpayerIdField(forms.CharField):
    def to_python(self, value):
        return normalize_taxpayer_id(super().to_python(value))


class InvoiceRequestForm(PortalForm):
    """R70: period in whole months, type, title, taxpayer id, e-mail; an address for paper."""

    first_month = MonthField(label=_("From (month)"))
    last_month = MonthField(
        label=_("To (month)"),
        help_text=_(
            "Whole months. The current month counts the premiums charged so far; the rest "
            "can go on a later request."
        ),
    )
    invoice_type = forms.ChoiceField(
        label=_("Invoice type"),
        choices=InvoiceType.choices,
        widget=forms.RadioSelect,
        initial=InvoiceType.ELECTRONIC_GENERAL,
    )
    title = forms.CharField(
        label=_("Invoice title (抬头)"),
        max_length=200,
        help_text=_("Your company's registered name, as on the business licence."),
    )
    taxpayer_id = TaxpayerIdField(
        label=_("Taxpayer id (统一社会信用代码)"),
        max_length=40,
        validators=[validate_taxpayer_id],
        help_text=_("18 characters, on the business licence."),
    )
    email = forms.EmailField(
        label=_("E-mail"), help_text=_("The electronic invoice is sent to this address.")
    )
    mailing_address = forms.CharField(
        label=_("Mailing address"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Paper invoices only."),
    )
    recipient = forms.CharField(
        label=_("Recipient"), max_length=50, required=False, help_text=_("Paper invoices only.")
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        required=False,
        validators=[validate_phone],
        help_text=_("Paper invoices only."),
    )

    def clean(self):
        data = super().clean()
        if data.get("invoice_type") == InvoiceType.PAPER_SPECIAL:
            for name in ("mailing_address", "recipient", "phone"):
                if not (data.get(name) or "").strip() and name not in self.errors:
                    self.add_error(name, services.ADDRESS_REQUIRED)
        return data


# --- finance's admin forms (R73) ---


class IssueForm(PortalForm):
    invoice_number = forms.CharField(
        label=_("invoice number"), max_length=20, validators=[validate_invoice_number]
    )
    invoice_date = forms.DateField(
        label=_("invoice date"), widget=forms.DateInput(format="%Y-%m-%d")
    )
    pdf = forms.FileField(
        label=_("invoice PDF"),
        required=False,
        help_text=_("Electronic invoices only: the PDF exported from the tax system."),
    )


class ShipForm(PortalForm):
    carrier = forms.CharField(label=_("carrier"), max_length=50, initial="顺丰速运")
    tracking_number = forms.CharField(
        label=_("tracking number"), max_length=40, validators=[validate_tracking_number]
    )


class RejectForm(PortalForm):
    reason = forms.CharField(
        label=_("reason (shown to the merchant)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": services.REASON_REQUIRED},
    )


class InvoiceFilterForm(FilterForm):
    """R74: the records by status, newest or largest first (issue 11)."""

    state = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + list(InvoiceState.choices)
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS)
    amount_key = "amount"
