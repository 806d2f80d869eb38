"""The demo's data: every printed login works, and seeding twice changes nothing."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from demo.management.commands.seed_demo import DEMO_PASSWORD, SHOPS, STAFF
from enrollment.models import Enrollment, Invitation, PremiumRate, Shop
from invoicing.models import InvoiceRequest, InvoiceState

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (Shop, Invitation, Enrollment, PremiumRate)]


def test_seeding_twice_is_idempotent(capsys):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")

    assert counts() == first
    assert first[0] == len(SHOPS)


def test_every_printed_login_works(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out

    logins = [login for _id, _name, login, _state in SHOPS] + [u for u, _g, _l in STAFF]
    for login in logins:
        assert login in out
        assert authenticate(username=login, password=DEMO_PASSWORD) is not None, login
    assert DEMO_PASSWORD in out


def test_the_demo_has_shops_in_every_enrollment_state():
    call_command("seed_demo")

    states = set(Enrollment.objects.values_list("state", flat=True))
    assert states == {"active", "pending", "exited"}
    invited = Shop.objects.get(platform_shop_id="TM-100002")
    assert not invited.enrollments.exists() and invited.invitations.exists()


def test_the_demo_has_invoice_requests_in_every_state_one_of_them_overdue():
    call_command("seed_demo")

    requests = list(InvoiceRequest.objects.all())
    assert {i.state for i in requests} == set(InvoiceState.values)
    assert [i.state for i in requests if i.is_overdue] == ["submitted"]


def test_the_demo_refuses_to_seed_production(settings):
    from django.core.management.base import CommandError

    settings.DEMO_SEEDING_ALLOWED = False
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
    assert not Shop.objects.exists()


def test_the_demo_has_something_to_tell_the_active_merchant():
    """Issue 11, point 6: notifications of every kind the demo's claims and invoices make,
    a receipt deadline coming, reviews past their 24 h, breaches owed and settled, and the
    exited shop's re-entry date."""
    from django.utils import timezone

    from claims.models import Claim, ServiceBreach
    from notifications.models import Notification

    call_command("seed_demo")
    active = Shop.objects.get(platform_shop_id=SHOPS[0][0])

    kinds = set(Notification.objects.filter(shop=active).values_list("kind", flat=True))
    assert {"approved_paid", "approved_return", "rejected", "return_shipped", "breach"} <= kinds
    assert {"receipt_due_soon", "invoice_issued"} <= kinds
    overdue = Claim.objects.filter(shop=active, state="submitted", review_due_at__lt=timezone.now())
    assert overdue.exists()
    assert set(ServiceBreach.objects.filter(shop=active).values_list("state", flat=True)) == {
        "owed",
        "settled",
    }
    exited = Enrollment.objects.get(state="exited")
    assert exited.reentry_date is not None
