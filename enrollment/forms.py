from django import forms
from django.utils.translation import gettext_lazy as _

from enrollment.services import REASON_REQUIRED, TERMS_NOT_ACCEPTED
from enrollment.validators import validate_alipay_account, validate_alipay_name, validate_phone
from portal.formkit import PortalForm


class ApplicationForm(PortalForm):
    """R11: what the merchant confirms when applying."""

    alipay_account = forms.CharField(
        label=_("Bound Alipay payout account"),
        max_length=100,
        validators=[validate_alipay_account],
        help_text=_("Claim payouts are paid to this account (a mobile number or an e-mail)."),
    )
    alipay_name = forms.CharField(
        label=_("Alipay account name"),
        max_length=100,
        validators=[validate_alipay_name],
        help_text=_("The account holder's real name or company name, as Alipay knows it."),
    )
    return_contact = forms.CharField(label=_("Return contact"), max_length=50)
    return_phone = forms.CharField(
        label=_("Return phone"), max_length=20, validators=[validate_phone]
    )
    return_address = forms.CharField(
        label=_("Default return address"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Sent to buyers whose return is approved."),
    )
    accept_terms = forms.BooleanField(
        label=_(
            "I have read and accept the service terms of the 30-day quality warranty+ program."
        ),
        error_messages={"required": TERMS_NOT_ACCEPTED},
    )


class ExitRequestForm(PortalForm):
    reason = forms.CharField(
        label=_("Why does your shop want to exit?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": REASON_REQUIRED},
    )
