"""The Jinja2 pages' `url()` reverses a URL once and reuses it (portal/jinja2.py, issue 10),
and says exactly what Django's `reverse` says, under any script prefix."""

import pytest
from django.template import engines
from django.urls import reverse, set_script_prefix

NAMES_ALONE = ["home", "claims:dashboard", "claims:policies", "notifications:list", "logout"]
NAMES_WITH_ID = ["claims:policy", "claims:claim", "claims:evidence"]


def _url(*args) -> str:
    return engines["jinja2"].env.globals["url"](*args)


@pytest.fixture
def prefix():
    def use(value):
        set_script_prefix(value)

    yield use
    set_script_prefix("/")


@pytest.mark.parametrize("name", NAMES_ALONE)
def test_a_url_of_no_argument_is_what_reverse_says_every_time(name, prefix):
    assert _url(name) == _url(name) == reverse(name)
    prefix("/portal/")
    assert _url(name) == reverse(name)
    assert _url(name).startswith("/portal/")


@pytest.mark.parametrize("name", NAMES_WITH_ID)
def test_a_url_of_an_object_id_is_what_reverse_says_for_each_id(name, prefix):
    for pk in (1, 42, 987654321):
        assert _url(name, pk) == reverse(name, args=[pk])
    prefix("/portal/")
    assert _url(name, 7) == reverse(name, args=[7])
    assert _url(name, 7).startswith("/portal/")
