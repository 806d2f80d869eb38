"""R40, R100, R101: each enrollment transition is fired only by whom its model declares.

Underwriters decide applications and carry out exits (`enrollment.decide_enrollment`); a
merchant user of the shop itself asks to exit or withdraws the request. Anyone else calling
the service, whatever the page they came from, gets "forbidden" and changes nothing: no
state, no field, no audit row.
"""

import pytest
from django.core.exceptions import ValidationError

from enrollment import services
from enrollment.models import Enrollment, EnrollmentState
from portal.audit import timeline
from tests.conftest import apply
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db


def snapshot(enrollment) -> tuple:
    fresh = Enrollment.objects.get(pk=enrollment.pk)
    return (
        fresh.state,
        fresh.reviewed_by_id,
        fresh.effective_at,
        fresh.exit_requested_at,
        fresh.exited_at,
        len(timeline(fresh)),
    )


def assert_forbidden(call, enrollment):
    before = snapshot(enrollment)
    with pytest.raises(ValidationError) as error:
        call()
    assert error.value.code == "forbidden"
    assert snapshot(enrollment) == before


@pytest.fixture
def pending(alice):
    return apply(alice)


@pytest.fixture
def active(active_alice):
    return Enrollment.objects.get(shop=active_alice.merchant.shop)


@pytest.fixture
def exit_requested(active, active_alice):
    services.enrollment_request_exit(shop=active.shop, actor=active_alice, reason="调整经营")
    return Enrollment.objects.get(pk=active.pk)


NOT_UNDERWRITERS = ["alice", "rita", "fiona"]  # the shop's own merchant, other staff


@pytest.mark.parametrize("persona", NOT_UNDERWRITERS)
def test_R101_only_an_underwriter_may_approve_an_application(request, pending, persona):
    actor = request.getfixturevalue(persona)
    assert_forbidden(
        lambda: services.enrollment_approve(enrollment_id=pending.pk, actor=actor), pending
    )
    assert not pending.shop.rates.exists()  # no first rate either (R12)


@pytest.mark.parametrize("persona", NOT_UNDERWRITERS)
def test_R101_only_an_underwriter_may_reject_an_application(request, pending, persona):
    actor = request.getfixturevalue(persona)
    assert_forbidden(
        lambda: services.enrollment_reject(enrollment_id=pending.pk, actor=actor, reason="x"),
        pending,
    )


@pytest.mark.parametrize("persona", NOT_UNDERWRITERS)
def test_R101_only_an_underwriter_may_carry_out_an_exit(request, active, persona):
    actor = request.getfixturevalue(persona)
    assert_forbidden(lambda: services.enrollment_exit(enrollment_id=active.pk, actor=actor), active)


@pytest.mark.parametrize("persona", ["bob", "uma", "rita"])
def test_R100_only_a_merchant_of_the_shop_may_ask_to_exit(request, active, persona):
    actor = request.getfixturevalue(persona)  # another shop's merchant, insurer staff
    assert_forbidden(
        lambda: services.enrollment_request_exit(shop=active.shop, actor=actor, reason="x"),
        active,
    )


@pytest.mark.parametrize("persona", ["bob", "uma", "rita"])
def test_R100_only_a_merchant_of_the_shop_may_withdraw_its_exit_request(
    request, exit_requested, persona
):
    actor = request.getfixturevalue(persona)
    assert_forbidden(
        lambda: services.enrollment_withdraw_exit_request(shop=exit_requested.shop, actor=actor),
        exit_requested,
    )


def test_R100_any_merchant_user_of_the_shop_may_ask_to_exit_and_is_named_in_the_audit(active):
    colleague = MerchantFactory(user__username="alice2@shop-a.cn", shop=active.shop).user

    services.enrollment_request_exit(shop=active.shop, actor=colleague, reason="调整经营")

    active.refresh_from_db()
    assert active.state == EnrollmentState.EXIT_REQUESTED
    assert timeline(active).last().by == colleague


def test_R40_a_state_the_transition_does_not_leave_from_is_refused_before_the_actor(pending, alice):
    # The state decides first: a merchant exiting a pending application hears "state".
    with pytest.raises(ValidationError) as error:
        services.enrollment_exit(enrollment_id=pending.pk, actor=alice)
    assert error.value.code == "state"
