"""The merchant pages that tell (issue 11, point 6): notifications with the unread count in
the navigation, overdue reviews with the hotline (R32), exit and re-entry dates (R15),
breaches and their settlement (R38), and why the rate is what it is (R50-R52)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Claim, ServiceBreach
from claims.services import decisions
from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from notifications.models import Notification
from tests.conftest import in_language
from tests.factories import make_orders
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db

HOTLINE = "95188-9"


@pytest.fixture
def decided(client, shop, rita):
    """RO0 approved and paid, RO2 rejected: two unread notifications; RO1, RO3 in review."""
    make_orders(client, shop, 4)
    for refund_id, decide in (("RO0", "approve"), ("RO2", "reject")):
        claim = Claim.objects.get(refund__platform_refund_id=refund_id)
        if decide == "approve":
            decisions.claim_approve(claim_id=claim.pk, actor=rita)
        else:
            decisions.claim_reject(claim_id=claim.pk, actor=rita, reason="不属于质量问题")
    return Notification.objects.filter(shop=shop)


def unread_badge(body: str) -> str | None:
    found = re.search(r'data-testid="unread-count">(\d+)', body)
    return found and found.group(1)


@pytest.mark.parametrize(
    ("language", "said"),
    [("zh-hans", "保险公司已同意理赔 RO0"), ("en", "The insurer approved claim RO0")],
)
def test_the_list_tells_each_notification_in_the_readers_language(
    merchant, decided, language, said
):
    body = in_language(merchant, language).get(reverse("notifications:list")).content.decode()
    assert said in body
    assert body.count('data-testid="notification"') == 2
    assert unread_badge(body) == "2"


def test_the_unread_count_is_read_with_the_session_user_in_no_query_of_its_own(merchant, decided):
    """issue 10: a scalar subquery of portal.auth's session user query."""
    for name in ("claims:dashboard", "claims:refunds", "claims:breaches", "enrollment:overview"):
        with CaptureQueriesContext(connection) as queries:
            body = merchant.get(reverse(name)).content.decode()
        counted = [q["sql"] for q in queries if "notifications_notification" in q["sql"]]
        assert len(counted) == 1 and "COUNT" in counted[0], name
        assert "auth_user" in counted[0], name  # the session user's own statement
        assert unread_badge(body) == "2", name


def test_the_unread_count_follows_each_change_on_the_next_page(merchant, decided, shop):
    for step, note in enumerate(decided.order_by("pk"), start=1):
        Notification.objects.filter(pk=note.pk).update(read_at=note.created_at)
        body = merchant.get(reverse("claims:refunds")).content.decode()
        expected = Notification.objects.filter(shop=shop, read_at__isnull=True).count()
        assert expected == 2 - step
        assert unread_badge(body) == (str(expected) if expected else None)


def test_a_page_without_the_navigation_never_counts(client, decided):
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("login"))
    assert not [q for q in queries if "notifications_notification" in q["sql"]]


def test_opening_one_marks_it_read_and_goes_to_its_claim(merchant, decided):
    note = decided.get(kind="approved_paid")
    response = merchant.post(reverse("notifications:read", args=[note.pk]), {"open": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("claims:claim", args=[note.claim_id])
    note.refresh_from_db()
    assert note.read_at is not None
    body = merchant.get(reverse("notifications:list")).content.decode()
    assert unread_badge(body) == "1"


def test_mark_all_read_clears_the_count(merchant, decided):
    assert merchant.post(reverse("notifications:read_all")).status_code == 302
    assert not decided.filter(read_at__isnull=True).exists()
    assert unread_badge(merchant.get(reverse("claims:dashboard")).content.decode()) is None


def test_marking_read_is_post_only(merchant, decided):
    note = decided.first()
    assert merchant.get(reverse("notifications:read", args=[note.pk])).status_code == 405
    assert merchant.get(reverse("notifications:read_all")).status_code == 405


@pytest.mark.parametrize(
    ("language", "overdue"), [("zh-hans", "保险公司审核已超时"), ("en", "overdue")]
)
def test_a_review_past_its_24_hours_is_overdue_with_the_hotline(
    merchant, client, shop, language, overdue
):
    make_orders(client, shop, 1)  # submitted on 1 June 2026: long past its 24 h (R32)
    claim = Claim.objects.get(refund__platform_refund_id="RO0")
    in_language(merchant, language)

    detail = merchant.get(reverse("claims:claim", args=[claim.pk])).content.decode()
    listing = merchant.get(reverse("claims:refunds")).content.decode()

    assert 'data-testid="review-overdue"' in detail and overdue in detail and HOTLINE in detail
    assert 'data-testid="review-overdue"' in listing and HOTLINE in listing


def test_a_decided_claim_is_not_marked_overdue(merchant, client, shop, rita):
    make_orders(client, shop, 1)
    claim = Claim.objects.get(refund__platform_refund_id="RO0")
    decisions.claim_approve(claim_id=claim.pk, actor=rita)
    detail = merchant.get(reverse("claims:claim", args=[claim.pk])).content.decode()
    assert 'data-testid="review-overdue"' not in detail


def test_an_exited_shops_dashboard_shows_the_exit_and_reentry_dates_and_no_rate(
    merchant, shop, alice, uma
):
    enrollment = Enrollment.objects.get(shop=shop)
    enrollment_services.enrollment_request_exit(shop=shop, actor=alice, reason="暂停")
    enrollment_services.enrollment_exit(enrollment_id=enrollment.pk, actor=uma, note="")
    enrollment.refresh_from_db()

    body = in_language(merchant, "en").get(reverse("claims:dashboard")).content.decode()

    exit_day, again = enrollment.exit_date, enrollment.reentry_date
    assert again == exit_day + dt.timedelta(days=91)
    assert (
        f"Exited on {exit_day:%Y-%m-%d}. Your shop may apply again from {again:%Y-%m-%d}." in body
    )
    assert 'data-testid="dashboard-rate"' not in body


def test_breaches_and_their_settlement_are_shown(merchant, shop, rita, bob, return_on_its_way):
    claim = return_on_its_way
    decisions.claim_refuse_receipt(
        claim_id=claim.pk,
        actor=shop.merchants.get().user,
        ground="missing_items",
        note="少件",
        evidence=[("box.png", ev.png_bytes())],
    )
    decisions.claim_overrule_refusal(claim_id=claim.pk, actor=rita, note="")
    page = reverse("claims:breaches")

    owed = in_language(merchant, "en").get(page).content.decode()
    assert 'data-state="owed"' in owed and "RO1" in owed and "Owed: 1 · Settled: 0" in owed

    breach = ServiceBreach.objects.get(claim=claim)
    decisions.breach_settle(breach_id=breach.pk, actor=None)
    settled = merchant.get(page).content.decode()
    assert 'data-state="settled"' in settled and "Owed: 0 · Settled: 1" in settled


def test_the_rate_page_shows_the_override_its_reason_and_the_models_inputs(merchant, shop, uma):
    enrollment_services.rate_override(
        shop_id=shop.pk, rate=Decimal("0.0120"), reason="售后记录优秀", actor=uma
    )
    body = in_language(merchant, "zh-hans").get(reverse("enrollment:rate")).content.decode()

    assert re.search(r'data-testid="explained-rate">1\.20%<', body)
    assert 'data-testid="override-reason">售后记录优秀<' in body
    assert 'data-testid="model-inputs"' in body  # the first rate's model run (R12, R51)
    assert re.search(r'data-testid="loss-ratio">0\.00%', body)
    assert "赔付率" in body and "可信度" in body


def test_the_rate_page_explains_a_model_rate_from_its_stored_inputs(merchant, shop):
    body = in_language(merchant, "en").get(reverse("enrollment:rate")).content.decode()
    assert 'data-testid="override"' not in body
    assert "Loss ratio" in body and "Credibility" in body and "Industry base rate" in body
