"""The list pages' filter fields written by portal/jinja2_forms.py are the markup Django's
Jinja2 form renderer gives (issue 10): what was typed kept, the error beside its field."""

import pytest
from django import forms
from django.utils import translation

from claims.forms import FeedbackFilterForm, PayoutFilterForm, PolicyFilterForm, RefundFilterForm
from invoicing.forms import InvoiceFilterForm
from portal.jinja2 import FORM_RENDERER
from portal.jinja2_forms import field_label, field_widget

FILTER_FORMS = [PolicyFilterForm, RefundFilterForm, PayoutFilterForm, FeedbackFilterForm]
FILTER_FORMS.append(InvoiceFilterForm)

TYPED = [
    {},  # unbound-looking: nothing typed
    {"q": "TM-1", "status": "claim_paid", "state": "paid", "sort": "oldest"},
    # invalid on every field that can be: too long, not a date, not a choice, markup
    {
        "q": '<b class="x">' + "&'" * 40,
        "status": "nope",
        "state": "<script>",
        "business": "x",
        "due": "x",
        "sort": "x",
        "category": "x",
        "issued_from": "2026-13-01",
        "issued_to": '"><img>',
        "paid_from": "yesterday",
        "paid_to": "2026-02-30",
    },
]


def django_rendered(field):
    return str(field.label_tag()), str(field)


def written_here(field):
    return str(field_label(field)), str(field_widget(field))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("typed", range(len(TYPED)))
@pytest.mark.parametrize("form_class", FILTER_FORMS, ids=lambda f: f.__name__)
def test_each_filter_field_is_written_as_django_writes_it(form_class, typed, language):
    with translation.override(language):
        form = form_class(TYPED[typed])
        form.renderer = FORM_RENDERER
        form.is_valid()
        for field in form:
            assert written_here(field) == django_rendered(field), field.name


class Odd(forms.Form):
    required_css_class = "required"
    name = forms.CharField(label="Name & <title>?", help_text="as on the ID card")
    kind = forms.ChoiceField(choices=[("Fruit", [("a", "Apple"), ("p", "Pear")]), ("", "None")])
    own_id = forms.CharField(widget=forms.TextInput(attrs={"id": "mine", "data-x": True}))
    count = forms.IntegerField(min_value=1, label_suffix=" →")
    when = forms.DateField(localize=True)
    ground = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)
    note = forms.CharField(widget=forms.Textarea)


@pytest.mark.parametrize(
    "data",
    [{}, {"name": "x", "kind": "p", "own_id": "1", "count": "0", "when": "x", "ground": "b"}],
)
def test_required_groups_help_own_ids_and_other_widgets_too(data):
    form = Odd(data) if data else Odd()
    form.renderer = FORM_RENDERER
    form.is_valid()
    for field in form:
        assert written_here(field) == django_rendered(field), field.name
