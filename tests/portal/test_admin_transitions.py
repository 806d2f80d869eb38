"""An admin with transition buttons names the keyword its services take the id by
(portal.admin_transitions: the button calls service(<service_id>=obj.pk, ...))."""

import pytest
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured

from portal.admin_transitions import AdminTransition, TransitionAdminMixin


def _buttons():
    return (AdminTransition(name="approve", label="Approve", service=lambda **kw: None),)


def test_an_admin_with_buttons_and_no_service_id_is_refused_when_defined():
    with pytest.raises(ImproperlyConfigured, match="no service_id"):

        class Forgetful(TransitionAdminMixin, admin.ModelAdmin):
            transitions = _buttons()


def test_an_admin_with_buttons_and_a_service_id_is_accepted():
    class Named(TransitionAdminMixin, admin.ModelAdmin):
        transitions = _buttons()
        service_id = "claim_id"

    assert Named.service_id == "claim_id"
