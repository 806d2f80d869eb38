"""Merchant forms of the claims area: list filters, refusing a return, reporting a buyer."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from claims.models import ClaimState, FeedbackCategory, FeedbackState, PolicyStatus, RefusalGround
from claims.services.evidence import MAX_BYTES, MAX_FILES, verify_image
from portal.clock import start_of_day
from portal.formkit import NOT_AN_IMAGE, SORTS, FilterForm, PortalForm, sort_field

SEARCH_TOO_LONG = _(
    "Search for one id of at most %(limit_value)d characters (this has %(show_value)d)."
)


class PolicyFilterForm(FilterForm):
    q = forms.CharField(
        label=_("Order id, buyer id or SKU"),
        required=False,
        max_length=64,
        error_messages={"max_length": SEARCH_TOO_LONG},
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + list(PolicyStatus.choices)
    )
    issued_from = forms.DateField(
        label=_("Issued from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    issued_to = forms.DateField(
        label=_("Issued to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = sort_field()
    amount_key = "premium"


class RefundFilterForm(FilterForm):
    BUSINESS = [
        ("", _("All")),
        ("warranty", _("Warranty card (质保卡)")),
        ("merchant", _("Merchant-handled")),
    ]
    DUE = [
        ("", _("Any")),
        ("needs_action", _("Return to confirm")),
        ("overdue", _("Confirmation overdue")),
    ]
    q = forms.CharField(
        label=_("Refund, order or buyer id"),
        required=False,
        max_length=64,
        error_messages={"max_length": SEARCH_TOO_LONG},
    )
    business = forms.ChoiceField(label=_("Business type"), required=False, choices=BUSINESS)
    state = forms.ChoiceField(
        label=_("Claim state"), required=False, choices=[("", _("All"))] + list(ClaimState.choices)
    )
    due = forms.ChoiceField(label=_("Deadline"), required=False, choices=DUE)
    sort = sort_field()
    amount_key = "amount"


def policy_filters(params) -> tuple[PolicyFilterForm, dict]:
    """The policy list's filters (a list page's or an export's) as policies_for_shop
    arguments: every valid one applies, an invalid one is an error on its field."""
    form = PolicyFilterForm(params)
    filters = form.valid
    issued_from = filters["issued_from"]
    issued_to = filters["issued_to"]
    return form, {
        "q": filters["q"],
        "status": filters["status"],
        "issued_from": start_of_day(issued_from) if issued_from else None,
        "issued_to": start_of_day(issued_to + dt.timedelta(days=1)) if issued_to else None,
    }


def refund_filters(params) -> tuple[RefundFilterForm, dict]:
    """The refund list's filters as refunds_for_shop arguments (the valid ones)."""
    form = RefundFilterForm(params)
    filters = form.valid
    filters.pop("sort")
    return form, filters


def _date_field(label):
    return forms.DateField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class PayoutFilterForm(FilterForm):
    paid_from = _date_field(_("Paid from"))
    paid_to = _date_field(_("Paid to"))
    sort = sort_field()
    amount_key = "amount"


def payout_filters(params) -> tuple[PayoutFilterForm, dict]:
    """The payout list's filters as payouts_for_shop arguments (the valid ones)."""
    form = PayoutFilterForm(params)
    paid_from, paid_to = form.valid["paid_from"], form.valid["paid_to"]
    return form, {
        "paid_from": start_of_day(paid_from) if paid_from else None,
        "paid_to": start_of_day(paid_to + dt.timedelta(days=1)) if paid_to else None,
    }


class FeedbackFilterForm(FilterForm):
    state = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", _("All"))] + list(FeedbackState.choices)
    )
    category = forms.ChoiceField(
        label=_("Problem"),
        required=False,
        choices=[("", _("All"))] + list(FeedbackCategory.choices),
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS[:2])


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to 9 photos; each is verified by decoding in the service (R85)."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("At most 9 photos."), code="too_many")
        photos = []
        for upload in files:
            if upload.size > MAX_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is larger than 5 MB: choose a smaller photo.")
                    % {"name": upload.name},
                    code="too_big",
                )
            data = upload.read()
            try:  # decoded here too, so a bad file is named beside its field (issue 11)
                verify_image(data, name=upload.name)
            except forms.ValidationError:
                raise forms.ValidationError(
                    NOT_AN_IMAGE % {"name": upload.name}, code="not_an_image"
                ) from None
            photos.append((upload.name, data))
        return photos


class RefuseReceiptForm(PortalForm):
    """R34: the four grounds only, with evidence."""

    service_fields = {"evidence": "photos"}

    ground = forms.ChoiceField(
        label=_("Ground"), choices=RefusalGround.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("What did you find?"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = PhotosField(
        label=_("Photos (JPEG, PNG or WebP; up to 9, 5 MB each)"),
        error_messages={"required": _("Attach at least one photo as evidence.")},
    )


class FeedbackForm(PortalForm):
    """R60: report a buyer problem (反馈买家问题)."""

    service_fields = {"evidence": "photos"}

    category = forms.ChoiceField(
        label=_("Problem"), choices=FeedbackCategory.choices, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=_("Description"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = PhotosField(label=_("Evidence (optional)"), required=False)
