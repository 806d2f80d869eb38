"""A filter form's labels and widgets as Django's Jinja2 form renderer writes them, without a
template rendering per label, widget and option (issue 10).

The list pages' filter forms (text, date and select fields, 5 or 6 of them) cost 1.7-2.7 ms
a page through `portal.jinja2.FORM_RENDERER`: `label_tag()` and `{{ field }}` each render a
template, and a select renders one more for each of its options (`bench/render.py`, "form").
`field_label(field)` and `field_widget(field)` give the same markup from the same context
(`BoundField.build_widget_attrs`, `Widget.get_context`: the value as typed, `aria-invalid`
and `aria-describedby` beside an error, `selected`), written here in Python. A widget this
module does not know, or one given its own template, is rendered by Django as before.
`tests/portal/test_jinja2_forms.py` holds the two equal, bound and unbound, valid and not.
"""

from django import forms
from django.utils.translation import gettext
from markupsafe import Markup, escape

# The widgets written here, each with its own default template (a subclass or an instance
# given another template goes through the renderer).
_INPUTS = {
    forms.TextInput: forms.TextInput.template_name,
    forms.DateInput: forms.DateInput.template_name,
    forms.NumberInput: forms.NumberInput.template_name,
    forms.SearchInput: forms.SearchInput.template_name,
}


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a True value as a bare name, a
    False one left out."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {name}" if value is True else f' {name}="{escape(value)}"')
    return "".join(out)


def _plain_select(widget) -> bool:
    return (
        type(widget) is forms.Select
        and widget.template_name == forms.Select.template_name
        and widget.option_template_name == forms.Select.option_template_name
    )


def field_widget(field) -> Markup:
    """`{{ field }}` (`BoundField.as_widget()`), for text, date, number, search and select
    widgets."""
    widget = field.field.widget
    plain_input = _INPUTS.get(type(widget)) == widget.template_name
    if field.field.localize or not (plain_input or _plain_select(widget)):
        return Markup(str(field))
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    name = escape(context["name"])
    if plain_input:
        value = context["value"]
        shown = "" if value is None else f' value="{escape(value)}"'
        kind = escape(context["type"])
        return Markup(f'<input type="{kind}" name="{name}"{shown}{_attrs(context["attrs"])}>')
    parts = [f'<select name="{name}"{_attrs(context["attrs"])}>']
    for group_name, options, _index in context["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{escape(group_name)}">')
        for option in options:
            parts.append(
                f'\n  <option value="{escape(option["value"])}"{_attrs(option["attrs"])}>'
                f"{escape(option['label'])}</option>"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return Markup("".join(parts))


def field_label(field) -> Markup:
    """`field.label_tag()` with its defaults: the label, its suffix unless it ends in
    punctuation, `for` the widget's id, the form's required class."""
    label = field.label
    contents = escape(label)
    form = field.form
    suffix = field.field.label_suffix if field.field.label_suffix is not None else form.label_suffix
    if suffix and label and str(label)[-1] not in gettext(":?.!"):
        contents += escape(suffix)
    widget = field.field.widget
    id_ = widget.attrs.get("id") or field.auto_id
    if not id_:
        return Markup(contents)
    attrs = {}
    for_label = widget.id_for_label(id_)
    if for_label:
        attrs["for"] = for_label
    if field.field.required and hasattr(form, "required_css_class"):
        attrs["class"] = form.required_css_class
    return Markup(f"<label{_attrs(attrs)}>{contents}</label>")
