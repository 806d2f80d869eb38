"""The Jinja2 pages translate `{{ _("...") }}` once per language (portal/jinja2.py, issue 10)
and say exactly what jinja2.ext.i18n's new-style gettext said (R3)."""

import pytest
from django.template import engines
from django.utils import translation
from jinja2.ext import _gettext_alias, _make_new_gettext

SOURCE = (
    '{{ _("Dashboard") }}|{{ _("Payouts") }}|{{ _("100%% covered") }}|'
    '{{ gettext("Evidence photo %(name)s", name=name) }}'
)


def _render(globals_=None) -> str:
    env = engines["jinja2"].env
    template = env.from_string(SOURCE, globals=globals_)
    return template.render(name="<b>a&b</b>")


def _jinja2_ext_gettext() -> dict:
    return {"gettext": _make_new_gettext(translation.gettext), "_": _gettext_alias}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_it_says_what_jinja2s_own_gettext_says(language):
    with translation.override(language):
        assert _render() == _render(_jinja2_ext_gettext())


def test_it_follows_the_language_of_each_rendering():
    with translation.override("zh-hans"):
        chinese = _render()
    with translation.override("en"):
        english = _render()
    with translation.override("zh-hans"):
        again = _render()

    assert english.startswith("Dashboard|Payouts|100% covered|Evidence photo ")
    assert chinese.startswith("工作台|理赔款|100% covered|凭证图片 ")
    assert again == chinese


def test_it_escapes_the_variables_not_the_message():
    with translation.override("en"):
        rendered = _render()

    assert rendered.endswith("Evidence photo &lt;b&gt;a&amp;b&lt;/b&gt;")
