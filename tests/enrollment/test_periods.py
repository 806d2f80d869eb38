"""R16: enrollment history as periods; 'was the shop enrolled at T' is answered from the
shop's terms, read in three queries whatever their number (enrollment.selectors.shop_terms,
what the event API asks)."""

import datetime as dt

import pytest
import time_machine

from enrollment import selectors, services
from portal.clock import SHANGHAI
from tests.conftest import enroll
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def at(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def two_periods(alice, uma):
    """Enrolled 1 Jan - 1 Mar 2026 and again from 1 Jul 2026."""
    shop = alice.merchant.shop
    with time_machine.travel(at(2026, 1, 1, 9), tick=False):
        first = enroll(alice, uma)
    with time_machine.travel(at(2026, 3, 1, 9), tick=False):
        services.enrollment_exit(enrollment_id=first.pk, actor=uma)
    with time_machine.travel(at(2026, 7, 1, 9), tick=False):
        InvitationFactory(shop=shop)
        enroll(alice, uma)
    return shop


@pytest.mark.parametrize(
    ("instant", "enrolled"),
    [
        (at(2025, 12, 31, 23, 59), False),  # before the first period
        (at(2026, 1, 1, 9), True),  # the approval instant itself
        (at(2026, 2, 1), True),
        (at(2026, 3, 1, 8, 59, 59), True),  # just before the exit
        (at(2026, 3, 1, 9), False),  # the exit instant: no longer enrolled
        (at(2026, 5, 1), False),  # between periods
        (at(2026, 7, 1, 9), True),  # second period
        (at(2027, 1, 1), True),  # still open
    ],
)
def test_R16_was_the_shop_enrolled_at_instant(two_periods, instant, enrolled):
    terms = selectors.shop_terms(platform_shop_id=two_periods.platform_shop_id)
    assert terms.enrolled_at(instant) is enrolled


def test_R16_the_terms_cost_three_queries_and_each_question_none(
    two_periods, django_assert_num_queries
):
    with django_assert_num_queries(3):
        terms = selectors.shop_terms(platform_shop_id=two_periods.platform_shop_id)
    with django_assert_num_queries(0):
        assert terms.enrolled_at(at(2026, 2, 1)) and not terms.enrolled_at(at(2026, 5, 1))


def test_R16_a_pending_or_rejected_application_is_not_an_enrollment(alice, uma):
    from tests.conftest import apply

    def enrolled():
        shop = alice.merchant.shop
        return selectors.shop_terms(platform_shop_id=shop.platform_shop_id).enrolled_at(
            at(2030, 1, 1)
        )

    enrollment = apply(alice)
    assert not enrolled()
    services.enrollment_reject(enrollment_id=enrollment.pk, actor=uma, reason="no")
    assert not enrolled()


def test_R16_the_database_allows_one_open_enrollment_per_shop(alice):
    from django.db import IntegrityError, transaction

    from enrollment.models import Enrollment
    from tests.conftest import apply

    first = apply(alice)
    duplicate = Enrollment(
        shop=first.shop,
        invitation=first.invitation,
        alipay_account=first.alipay_account,
        return_contact="x",
        return_phone="13800138000",
        return_address="x",
        terms_accepted_at=first.terms_accepted_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_R50_shop_terms_answer_the_rate_in_force_as_its_single_query_selector(two_periods, uma):
    services.rate_override(
        shop_id=two_periods.pk,
        rate="0.0120",
        reason="x",
        actor=uma,
        effective_from=at(2027, 2, 1),
    )
    terms = selectors.shop_terms(platform_shop_id=two_periods.platform_shop_id)
    instants = [
        at(2025, 12, 31),
        at(2026, 1, 1, 9),
        at(2026, 3, 1, 8, 59),
        at(2026, 3, 1, 9),
        at(2026, 5, 1),
        at(2026, 7, 1, 9),
        at(2027, 1, 31, 23, 59),
        at(2027, 2, 1),
    ]
    for instant in instants:
        expected = selectors.rate_in_force(shop_id=two_periods.pk, at=instant)
        assert terms.rate_at(instant) == (expected.rate if expected else None), instant
