"""The Jinja2 environment of the hot merchant lists (issue 10: measured against Django
templates in bench/RESULTS.md, "Merchant lists: Django templates or Jinja2").

Templates live in `jinja2/`; they are translated with Django's own gettext through the
`jinja2.ext.i18n` extension and written as `{{ _("...") }}`, which `makemessages` extracts
like `{% translate %}` (R3). Escaping is on; Django's safe strings (form widgets,
`csrf_input`) pass through unescaped as in Django templates. A list page repeats a few
things 50 times (a link, a time, a label): the helpers here do them at the cost of a dict
lookup, with the same output as Django's `{% url %}`, `|date` and `get_FOO_display`.
"""

import datetime as dt
from contextvars import ContextVar
from functools import cache, lru_cache
from typing import NamedTuple

from django.conf import settings
from django.core.signals import setting_changed
from django.db.models import Model
from django.forms.renderers import Jinja2 as Jinja2FormRenderer
from django.templatetags.static import static
from django.test.signals import template_rendered
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import formats, timezone, translation
from jinja2 import Environment
from jinja2 import Template as JinjaTemplate
from markupsafe import Markup

# Form widgets through Django's Jinja2 widget templates (the same markup as its Django
# ones, less whitespace): the list views give it to their filter forms.
FORM_RENDERER = Jinja2FormRenderer()

_PK = 987654321987654321  # stands for the object id in a cached URL


class Locale(NamedTuple):
    """What a page's helpers ask for on every row, the same for the whole rendering."""

    language: str
    timezone: dt.tzinfo
    script_prefix: str
    urlconf: object


# Read once when a rendering starts (each is a thread- and task-local lookup, 5 a row).
_RENDERING: ContextVar[Locale | None] = ContextVar("portal_jinja2_locale", default=None)


def _current() -> Locale:
    return Locale(
        translation.get_language(),
        timezone.get_current_timezone(),
        get_script_prefix(),
        get_urlconf(),
    )


def _locale() -> Locale:
    return _RENDERING.get() or _current()


class _Once:
    """`csrf_input` made once per rendering, as `{% csrf_token %}` is in a Django template:
    Django's Jinja2 backend gives a lazy one that masks a new token each time it is shown
    (0.08 ms, two to three forms a page: the language switch, log out, the page's own)."""

    __slots__ = ("_lazy", "_html")

    def __init__(self, lazy):
        self._lazy, self._html = lazy, None

    def __html__(self) -> str:
        if self._html is None:
            self._html = str(self._lazy)
        return self._html

    __str__ = __html__


class Template(JinjaTemplate):
    """Announces each rendering like Django templates do under the test runner, so the
    test client's `response.context` works for these pages too (no receiver in production:
    the signal costs a function call); holds the Locale for the helpers meanwhile."""

    def render(self, *args, **kwargs):
        context = dict(*args, **kwargs)
        if "csrf_input" in context:
            context["csrf_input"] = _Once(context["csrf_input"])
        template_rendered.send(sender=self, template=self, context=context)
        token = _RENDERING.set(_current())
        try:
            return super().render(context)
        finally:
            _RENDERING.reset(token)


@cache
def _url_with_pk(name: str, prefix: str, urlconf, language: str) -> str:
    return reverse(name, args=[_PK])


@cache
def _url_alone(name: str, prefix: str, urlconf, language: str) -> str:
    return reverse(name)


def url(name: str, *args, **kwargs) -> str:
    """`{% url name arg %}`; a URL of no argument is reversed once (the navigation's ten,
    0.02 ms each), and a URL of one object id is reversed once, then filled in."""
    if not kwargs and (not args or (len(args) == 1 and type(args[0]) is int)):
        here = _locale()
        if not args:
            return _url_alone(name, here.script_prefix, here.urlconf, here.language)
        pattern = _url_with_pk(name, here.script_prefix, here.urlconf, here.language)
        return pattern.replace(str(_PK), str(args[0]))
    return reverse(name, args=args or None, kwargs=kwargs or None)


def date(value, format_string: str) -> str:
    """Django's `|date`: the value in the current time zone, in Django's format."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime) and settings.USE_TZ and not timezone.is_naive(value):
        value = value.astimezone(_locale().timezone)  # = template_localtime(value)
    if format_string == "Y-m-d H:i":  # digits only: strftime says the same, 10x faster
        return value.strftime("%Y-%m-%d %H:%M")
    return formats.date_format(value, format_string)


@cache
def _field_labels(field, language: str) -> dict:
    return {value: str(label) for value, label in field.flatchoices}


@cache
def _choice_labels(choices, language: str) -> dict:
    return {value: str(label) for value, label in choices.choices}


def display(instance: Model, field_name: str) -> str:
    """`instance.get_FOO_display()`, the labels translated once per language."""
    field = instance._meta.get_field(field_name)
    value = getattr(instance, field.attname)
    return _field_labels(field, _locale().language).get(value, value)


def label(value: str, choices) -> str:
    """The label of `value` in a TextChoices class, translated once per language."""
    return _choice_labels(choices, _locale().language).get(value, value)


@lru_cache(maxsize=4096)
def _translated(message: str, language: str | None) -> Markup:
    return Markup(translation.gettext(message))


@lru_cache(maxsize=4096)
def _translated_alone(message: str, language: str | None) -> Markup:
    return _translated(message, language) % {}


def _forget_cached(*, setting, **kwargs) -> None:
    """Tests that change the languages, catalogs or URLs (Django resets its own caches then)."""
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"):
        _translated.cache_clear()
        _translated_alone.cache_clear()
    if setting == "ROOT_URLCONF":
        _url_alone.cache_clear()
        _url_with_pk.cache_clear()


setting_changed.connect(_forget_cached)


def gettext(message: str, **variables) -> Markup:
    """`{{ _("...") }}` / `{{ gettext("...", name=value) }}` as jinja2.ext.i18n's new-style
    gettext does it with autoescape on (Markup of Django's gettext, then `% variables`, the
    variables escaped), each message translated once per language: a page asks for 40 to
    150 of them, mostly the same few labels once a row (issue 10)."""
    language = _locale().language
    if variables:
        return _translated(message, language) % variables
    return _translated_alone(message, language)


def languages(codes) -> list[dict]:
    """`{% get_language_info_list for LANGUAGES %}`."""
    return [translation.get_language_info(code) for code, _name in codes]


# What the apps give their templates besides the helpers above (each app in its
# AppConfig.ready: claims gives PolicyStatus), so the ground imports no app above it.
_APP_GLOBALS: dict[str, object] = {}


def add_globals(**names) -> None:
    _APP_GLOBALS.update(names)


def environment(**options) -> Environment:
    from django.template.defaultfilters import capfirst, timeuntil_filter

    from portal import formats
    from portal.jinja2_forms import field_label, field_widget
    from portal.templatetags.portal import actor_role, percent

    env = Environment(extensions=["jinja2.ext.i18n"], **options)
    env.template_class = Template
    env.install_gettext_callables(
        gettext=translation.gettext,
        ngettext=translation.ngettext,
        pgettext=translation.pgettext,
        npgettext=translation.npgettext,
        newstyle=True,
    )
    if env.autoescape is True:  # else each call must ask the template (jinja2.ext.i18n's)
        env.globals.update(gettext=gettext, _=gettext)
    # A message of Django's admin, translated by its catalog (the Jinja2 admin frame,
    # jinja2/admin/): not the portal's to extract (tests/claims/test_list_pages_fast.py)
    env.globals["admin_text"] = env.globals["_"]
    env.globals.update(url=url, static=static, languages=languages, **_APP_GLOBALS)
    env.globals.update(field_label=field_label, field_widget=field_widget)  # the filter forms
    env.filters.update(date=date, display=display, label=label, actor_role=actor_role)
    env.filters.update(percent=percent, timeuntil=timeuntil_filter, capfirst=capfirst)
    env.filters.update(  # the same filters as the Django templates' (portal/formats.py)
        money=formats.format_money,
        local_date=formats.format_date,
        local_datetime=formats.format_datetime,
        local_month=formats.format_month,
    )
    return env
