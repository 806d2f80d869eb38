"""R10, R11, R15: who may apply, what an application needs, and what bad input gets."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from enrollment import services
from enrollment.models import Enrollment, EnrollmentState
from portal.clock import SHANGHAI
from tests.conftest import apply, enroll
from tests.factories import InvitationFactory, MerchantFactory

pytestmark = pytest.mark.django_db


def test_R11_an_invited_merchant_applies_and_waits_for_review(alice):
    enrollment = apply(alice)

    assert enrollment.state == EnrollmentState.PENDING
    assert enrollment.alipay_account == "13800138000"
    assert enrollment.terms_accepted_at is not None
    assert enrollment.effective_at is None


def test_R10_a_shop_without_an_invitation_cannot_apply():
    merchant = MerchantFactory()

    with pytest.raises(ValidationError) as error:
        apply(merchant.user)

    assert error.value.messages == [str(services.NO_LIVE_INVITATION)]
    assert not Enrollment.objects.exists()


def test_R10_an_expired_invitation_is_not_live():
    merchant = MerchantFactory()
    InvitationFactory(shop=merchant.shop, expires_at=timezone.now() - dt.timedelta(seconds=1))

    with pytest.raises(ValidationError) as error:
        apply(merchant.user)
    assert error.value.code == "invitation"
    assert not Enrollment.objects.exists()


def test_R10_a_revoked_invitation_is_not_live(alice, uma):
    invitation = alice.merchant.shop.invitations.get()
    services.invitation_revoke(invitation_id=invitation.pk, actor=uma)

    with pytest.raises(ValidationError):
        apply(alice)
    assert not Enrollment.objects.exists()


def test_R11_applying_twice_is_refused(alice):
    apply(alice)

    with pytest.raises(ValidationError) as error:
        apply(alice)

    assert error.value.messages == [str(services.ALREADY_OPEN)]
    assert Enrollment.objects.count() == 1


def test_R11_a_rejected_merchant_may_correct_and_apply_again_with_the_same_invitation(alice, uma):
    first = apply(alice)
    services.enrollment_reject(enrollment_id=first.pk, actor=uma, reason="地址不完整")

    second = apply(alice, return_address="浙江省杭州市余杭区文一西路 969 号 3 号楼")

    assert second.state == EnrollmentState.PENDING
    assert second.invitation_id == first.invitation_id


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("return_address", ""),
        ("return_address", "   "),
        ("return_contact", ""),
        ("return_phone", "12345"),
        ("alipay_account", "not an account"),
        ("alipay_account", "2088-0000"),
        ("alipay_account", ""),
    ],
)
def test_R11_an_application_with_a_missing_or_malformed_field_is_refused(alice, field, value):
    with pytest.raises(ValidationError) as error:
        apply(alice, **{field: value})

    assert field in error.value.message_dict
    assert not Enrollment.objects.exists()


def test_R11_an_e_mail_is_a_valid_alipay_account(alice):
    assert apply(alice, alipay_account="finance@shop-a.cn").alipay_account == "finance@shop-a.cn"


def test_R11_the_terms_must_be_accepted(alice):
    with pytest.raises(ValidationError) as error:
        apply(alice, accept_terms=False)

    assert error.value.message_dict == {"accept_terms": [str(services.TERMS_NOT_ACCEPTED)]}
    assert not Enrollment.objects.exists()


def test_R11_the_application_is_logged_with_its_actor(alice):
    enrollment = apply(alice)

    from portal.audit import timeline

    (entry,) = timeline(enrollment)
    assert (entry.source_state, entry.state, entry.by) == (None, "pending", alice)


def _exit_at(user, underwriter, instant):
    """Enrolled since 10 January 2026, exited at `instant`."""
    with time_machine.travel(dt.datetime(2026, 1, 10, 9, 0, tzinfo=SHANGHAI), tick=False):
        enrollment = enroll(user, underwriter)
    with time_machine.travel(instant, tick=False):
        return services.enrollment_exit(enrollment_id=enrollment.pk, actor=underwriter)


def test_R15_reapplying_before_day_91_is_refused_with_the_date_in_the_message(alice, uma):
    # Exit at 23:30 Shanghai on 2026-03-01 (15:30 UTC): the exit date is 1 March.
    _exit_at(alice, uma, dt.datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI))
    InvitationFactory(
        shop=alice.merchant.shop,
        expires_at=dt.datetime(2026, 12, 31, tzinfo=SHANGHAI),
    )

    # 2026-05-30 is exit date + 90 days: the last day on which applying is refused.
    day_90 = dt.datetime(2026, 5, 30, 23, 59, tzinfo=SHANGHAI)
    with time_machine.travel(day_90, tick=False), pytest.raises(ValidationError) as error:
        apply(alice)
    assert error.value.code == "reentry"
    assert "2026" in error.value.messages[0] and "31" in error.value.messages[0]
    assert Enrollment.objects.filter(state="pending").count() == 0

    # 2026-05-31 = 1 March + 91 days: applying is open again.
    with time_machine.travel(dt.datetime(2026, 5, 31, 0, 0, tzinfo=SHANGHAI), tick=False):
        assert apply(alice).state == EnrollmentState.PENDING


def test_R15_the_reentry_date_is_counted_on_the_shanghai_calendar(alice, uma):
    # 2026-03-01 17:00 UTC is already 2 March in Shanghai.
    enrollment = _exit_at(alice, uma, dt.datetime(2026, 3, 1, 17, 0, tzinfo=dt.UTC))

    assert enrollment.exit_date == dt.date(2026, 3, 2)
    assert enrollment.reentry_date == dt.date(2026, 6, 1)


def test_R10_R15_reentry_after_day_91_still_needs_a_live_invitation(alice, uma):
    _exit_at(alice, uma, dt.datetime(2026, 3, 1, 12, 0, tzinfo=SHANGHAI))

    later = dt.datetime(2026, 7, 1, tzinfo=SHANGHAI)
    with time_machine.travel(later, tick=False), pytest.raises(ValidationError) as error:
        apply(alice)
    assert error.value.code == "invitation"


def test_R16_a_shop_that_exited_and_came_back_has_two_periods(alice, uma):
    _exit_at(alice, uma, dt.datetime(2026, 3, 1, 12, 0, tzinfo=SHANGHAI))
    with time_machine.travel(dt.datetime(2026, 6, 10, 9, 0, tzinfo=SHANGHAI), tick=False):
        InvitationFactory(shop=alice.merchant.shop)
        enroll(alice, uma)

    periods = Enrollment.objects.filter(shop=alice.merchant.shop).exclude(effective_at=None)
    assert periods.count() == 2
    assert sorted(periods.values_list("state", flat=True)) == ["active", "exited"]
