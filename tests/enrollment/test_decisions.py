"""R12, R13, R40: underwriters approve, reject and carry out exits; every change is logged."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django_fsm_log.models import StateLog

from enrollment import selectors, services
from enrollment.models import Enrollment, EnrollmentState, RateSource
from portal.audit import timeline
from portal.clock import SHANGHAI
from tests.conftest import apply

pytestmark = pytest.mark.django_db

APPROVED_AT = dt.datetime(2026, 4, 1, 10, 30, tzinfo=SHANGHAI)


def test_R12_approval_makes_the_service_effective_at_once_with_a_first_rate(alice, uma):
    enrollment = apply(alice)

    with time_machine.travel(APPROVED_AT, tick=False):
        services.enrollment_approve(enrollment_id=enrollment.pk, actor=uma, note="ok")

    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.ACTIVE
    assert enrollment.effective_at == APPROVED_AT
    assert enrollment.reviewed_by == uma
    rate = selectors.rate_in_force(shop_id=alice.merchant.shop.pk, at=APPROVED_AT)
    assert rate.source == RateSource.MODEL
    assert str(rate.rate) == "0.0150"  # industry base rate: no history yet (R51)
    assert "no policies in the last 180 days: industry base rate" in rate.reason


def test_R11_rejection_needs_a_reason_and_records_it(alice, uma):
    enrollment = apply(alice)

    with pytest.raises(ValidationError):
        services.enrollment_reject(enrollment_id=enrollment.pk, actor=uma, reason="  ")
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.PENDING

    services.enrollment_reject(enrollment_id=enrollment.pk, actor=uma, reason="退货地址不完整")
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.REJECTED
    assert enrollment.rejection_reason == "退货地址不完整"
    assert not alice.merchant.shop.rates.exists()


@pytest.mark.parametrize("first", ["approve", "reject"])
def test_R40_a_decided_application_cannot_be_decided_again(alice, uma, first):
    enrollment = apply(alice)
    if first == "approve":
        services.enrollment_approve(enrollment_id=enrollment.pk, actor=uma)
    else:
        services.enrollment_reject(enrollment_id=enrollment.pk, actor=uma, reason="no")
    logs_before = StateLog.objects.count()

    with pytest.raises(ValidationError) as error:
        services.enrollment_approve(enrollment_id=enrollment.pk, actor=uma)
    with pytest.raises(ValidationError):
        services.enrollment_reject(enrollment_id=enrollment.pk, actor=uma, reason="again")

    assert error.value.code == "state"
    assert StateLog.objects.count() == logs_before


def test_R13_the_merchant_requests_exit_and_staff_carry_it_out(active_alice, uma):
    shop = active_alice.merchant.shop
    services.enrollment_request_exit(shop=shop, actor=active_alice, reason="调整经营")
    enrollment = Enrollment.objects.get(shop=shop)
    assert enrollment.state == EnrollmentState.EXIT_REQUESTED
    assert enrollment.is_in_force  # still running until staff carry the exit out

    services.enrollment_exit(enrollment_id=enrollment.pk, actor=uma)

    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.EXITED
    assert enrollment.exited_at is not None


def test_R13_an_exit_request_needs_a_reason(active_alice):
    with pytest.raises(ValidationError):
        services.enrollment_request_exit(
            shop=active_alice.merchant.shop, actor=active_alice, reason=""
        )
    assert Enrollment.objects.get().state == EnrollmentState.ACTIVE


def test_R13_a_withdrawn_exit_request_keeps_the_service_running(active_alice):
    shop = active_alice.merchant.shop
    services.enrollment_request_exit(shop=shop, actor=active_alice, reason="试试")
    services.enrollment_withdraw_exit_request(shop=shop, actor=active_alice)

    enrollment = Enrollment.objects.get(shop=shop)
    assert enrollment.state == EnrollmentState.ACTIVE
    assert enrollment.exit_requested_at is None


def test_R13_a_shop_without_a_running_service_cannot_request_exit(alice):
    apply(alice)
    with pytest.raises(ValidationError):
        services.enrollment_request_exit(shop=alice.merchant.shop, actor=alice, reason="x")


def test_R40_every_transition_is_logged_with_actor_time_source_target_and_reason(alice, uma):
    enrollment = apply(alice)
    services.enrollment_approve(enrollment_id=enrollment.pk, actor=uma, note="资料齐全")
    services.enrollment_request_exit(shop=alice.merchant.shop, actor=alice, reason="调整经营")
    services.enrollment_exit(enrollment_id=enrollment.pk, actor=uma, note="专员已确认")

    rows = [
        (e.source_state, e.state, e.transition, e.by, e.description) for e in timeline(enrollment)
    ]
    assert rows == [
        (None, "pending", "apply", alice, ""),
        ("pending", "active", "approve", uma, "资料齐全"),
        ("active", "exit_requested", "request_exit", alice, "调整经营"),
        ("exit_requested", "exited", "exit", uma, "专员已确认"),
    ]
    assert all(e.timestamp is not None for e in timeline(enrollment))


def test_R40_the_state_field_cannot_be_assigned_directly(alice):
    enrollment = apply(alice)
    with pytest.raises(AttributeError):
        enrollment.state = EnrollmentState.ACTIVE
