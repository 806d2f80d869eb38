"""One way every portal form shows what went wrong (issue 11, point 1).

- `PortalForm`: the base of the merchant forms (and of the admin's transition forms). A
  refusal from a service lands beside the field it names (`add_service_error`), what was
  typed stays in the bound form, and a chosen file, which no browser lets a page keep, is
  asked for again with the reason (`FILES_NOT_KEPT`, or the file's own error).
- `user_messages(error)`: the sentences of a service's ValidationError a person may read.
  Services also raise plain-English, developer-facing texts (the event API's, with class
  names such as "(UnidentifiedImageError)"): those never reach a page; the person reads a
  translated sentence for the error's code instead.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

FILES_NOT_KEPT = _(
    "The page cannot keep files you chose: please fix the other fields, then choose the "
    "files again."
)
NOT_AN_IMAGE = _("“%(name)s” is not a JPEG, PNG or WebP image, or it is damaged: choose it again.")
EVIDENCE_UNREADABLE = _("A photo could not be read as a JPEG, PNG or WebP image: choose it again.")
# a rejection's or a revocation's reason (the services' and the admin forms')
REASON_REQUIRED = _("Please give a reason.")
NOT_DONE = _("This could not be done now: the record may have changed meanwhile. Reload the page.")

# Codes of the services' developer-facing texts (the event API's words, in English, some
# with an exception's class name): a person reads the sentence of the code instead.
CODE_MESSAGES = {
    "evidence": EVIDENCE_UNREADABLE,
    "illegal_transition": NOT_DONE,
    "settled": NOT_DONE,
    "already_revoked": NOT_DONE,
}


def user_messages(error: ValidationError) -> list[str]:
    """The person's sentences for `error` (each once, in order). The services' messages are
    translated sentences (gettext_lazy, filled in with their params); a plain text under a
    code of CODE_MESSAGES is replaced by that code's sentence, one without a code goes
    through the catalog."""
    sentences: list[str] = []
    for item in error.error_list if hasattr(error, "error_list") else [error]:
        message = item.message
        if isinstance(message, Promise):
            text = str(message)
        elif item.code in CODE_MESSAGES:
            text = str(CODE_MESSAGES[item.code])
        elif item.code is None:
            text = gettext(str(message))
        else:
            text = str(message)
        if item.params:
            text = text % item.params
        if text not in sentences:
            sentences.append(text)
    return sentences


def user_message(error: ValidationError) -> str:
    """user_messages as one line (for a flash message)."""
    return " ".join(user_messages(error))


class PortalForm(forms.Form):
    """A form whose errors a person can act on. `service_fields` maps a service's error
    field names (or error codes) to the form's field that shows them."""

    service_fields: dict[str, str] = {}

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self._errors:
            self._reask_files()

    def _reask_files(self) -> None:
        """A file input comes back empty from a page with errors: say so beside each file
        the person had chosen (unless the file has its own error already)."""
        for name, field in self.fields.items():
            chosen = self.files.getlist(self.add_prefix(name)) if self.files else []
            if isinstance(field, forms.FileField) and chosen and name not in self._errors:
                self._errors[name] = self.error_class([gettext(FILES_NOT_KEPT)])
                self.cleaned_data.pop(name, None)

    def add_service_error(self, error: ValidationError) -> None:
        """A service's refusal, beside the field it concerns, in words a person reads."""
        if hasattr(error, "error_dict"):
            for key, errors in error.error_dict.items():
                field = self.service_fields.get(key, key)
                for item in errors:
                    self._add_one(field, item)
        else:
            for item in error.error_list:
                self._add_one(self.service_fields.get(item.code or "", None), item)
        self._reask_files()

    def _add_one(self, field: str | None, item: ValidationError) -> None:
        field = field if field in self.fields else None
        for text in user_messages(item):
            if text not in self.errors.get(field or forms.forms.NON_FIELD_ERRORS, []):
                self.add_error(field, text)


class FilterForm(forms.Form):
    """A list's filters (issue 11, point 2), judged field by field: an invalid value is
    shown as an error on its field and dropped; every valid one still filters the list
    (the page's and its CSV export alike). Never "invalid, so everything"."""

    amount_key = ""  # the field an amount sort orders by (a subclass with a `sort` field)

    def __init__(self, params=None, **kwargs):
        # only the form's own fields: cursors (after=, before=) are the pager's
        data = {k: params.get(k) for k in self.base_fields if k in params} if params else {}
        super().__init__(data, **kwargs)

    @property
    def valid(self) -> dict:
        """The cleaned values of the valid fields (an invalid field gives its empty value)."""
        self.is_valid()
        return {
            name: self.cleaned_data[name] if name in self.cleaned_data else _empty(field)
            for name, field in self.fields.items()
        }

    def order(self, *, time_key: str) -> tuple[str, bool]:
        """(key, descending) of the `sort` chosen: by time (the list's own `time_key`) or by
        amount, newest / largest first unless asked otherwise."""
        sort = self.valid.get("sort") or ""
        key = self.amount_key if sort.startswith("amount") else time_key
        return key, sort not in ("oldest", "amount_asc")

    def sort_url(self, request, sort: str) -> str:
        """The list's URL with this sort (its filters kept, back to the first page)."""
        query = request.GET.copy()
        for name in ("after", "before", "sort"):
            query.pop(name, None)
        if sort:
            query["sort"] = sort
        return "?" + query.urlencode() if query else request.path


SORTS = [
    ("", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("amount_desc", _("Largest amount first")),
    ("amount_asc", _("Smallest amount first")),
]


def sort_field() -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS)


def _empty(field: forms.Field):
    return "" if isinstance(field, (forms.CharField, forms.ChoiceField)) else None
