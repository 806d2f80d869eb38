import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from enrollment.models import Shop
from portal.clock import today

LAST_BEFORE_FIRST = _("The last day must not be before the first.")


class ResultFileForm(forms.Form):
    """R114: the provider's result file for a batch."""

    file = forms.FileField(
        label=_("Result file (CSV)"),
        help_text=_(
            "Columns: reference, status (settled or failed), amount, provider_reference, "
            "reason, completed_at. Nothing is recorded from a file with a bad row."
        ),
    )


class ReconciliationForm(forms.Form):
    """R115: a period of Asia/Shanghai days, optionally one shop."""

    first = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    shop = forms.ModelChoiceField(
        label=_("Shop"), queryset=Shop.objects.order_by("name"), required=False
    )

    @classmethod
    def this_month(cls) -> dict:
        day = today()
        first = day.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        return {"first": first, "last": last}

    def clean(self):
        data = super().clean()
        if data.get("first") and data.get("last") and data["last"] < data["first"]:
            self.add_error("last", LAST_BEFORE_FIRST)
        return data
