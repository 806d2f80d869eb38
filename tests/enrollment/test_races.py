"""Concurrency on PostgreSQL: two requests at once, exactly one state change (R11, R40).

SQLite has no row locks, so these run on PostgreSQL only and are skipped, visibly, on SQLite.
"""

import threading

from django.core.exceptions import ValidationError
from django.db import connections

from enrollment import services
from enrollment.models import Enrollment, EnrollmentState
from tests.conftest import APPLICATION, POSTGRES_RACE, apply
from tests.factories import MerchantFactory

pytestmark = POSTGRES_RACE


def race(*calls):
    """Run the calls at the same moment in threads; return what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what we compare
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_R11_two_merchants_of_one_shop_applying_at_once_make_one_application(alice):
    colleague = MerchantFactory(user__username="alice2@shop-a.cn", shop=alice.merchant.shop).user

    results = race(
        lambda: services.enrollment_apply(shop=alice.merchant.shop, actor=alice, **APPLICATION),
        lambda: services.enrollment_apply(shop=alice.merchant.shop, actor=colleague, **APPLICATION),
    )

    assert Enrollment.objects.count() == 1
    errors = [r for r in results if isinstance(r, ValidationError)]
    assert len(errors) == 1 and errors[0].code == "open"


def test_R40_two_underwriters_deciding_at_once_make_exactly_one_decision(alice, uma):
    enrollment = apply(alice)
    other = type(uma).objects.create(username="uma2", is_staff=True)
    other.groups.set(uma.groups.all())  # a second underwriter (R101)

    results = race(
        lambda: services.enrollment_approve(enrollment_id=enrollment.pk, actor=uma),
        lambda: services.enrollment_reject(enrollment_id=enrollment.pk, actor=other, reason="no"),
    )

    enrollment.refresh_from_db()
    assert enrollment.state in (EnrollmentState.ACTIVE, EnrollmentState.REJECTED)
    errors = [r for r in results if isinstance(r, ValidationError)]
    assert len(errors) == 1 and errors[0].code == "state"
    from portal.audit import timeline

    assert len(timeline(enrollment)) == 2  # apply + exactly one decision
