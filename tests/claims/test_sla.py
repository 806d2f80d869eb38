"""The reviewers' service level (claims/sla.py, the admin's SLA page; R32, issue 11), on
constructed histories: claims submitted and decided at chosen instants, judged against the
deadline stored on each claim, counted in Asia/Shanghai days."""

import datetime as dt

import pytest
from django.utils import translation

from claims import sla
from claims.models import Claim, ClaimState
from claims.services import decisions
from portal.clock import SHANGHAI
from tests.conftest import _staff
from tests.factories import asked_at

pytestmark = pytest.mark.django_db

# "Now" for the figures: half past midnight in Shanghai, 16:30 the day before in UTC, so a
# UTC day and a Shanghai day disagree about every decision of the evening before.
NOW = dt.datetime(2026, 6, 20, 0, 30, tzinfo=SHANGHAI)
SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(hours=24)


@pytest.fixture
def submit(send_order_story):
    """submit(n, at, tier=3) -> the claim of refund R<n>, submitted at `at` (due at + 24 h)."""

    def make(n: int, at: dt.datetime, *, tier: int = 3) -> Claim:
        results = send_order_story(
            f"O{n}", buyer=f"b{n}", tier=tier, refund_id=f"R{n}", **asked_at(at)
        )
        assert [r["status"] for r in results] == ["applied"] * 4, results
        claim = Claim.objects.get(refund__platform_refund_id=f"R{n}")
        assert claim.review_due_at == at + DAY
        return claim

    return make


@pytest.fixture
def vera(db):
    """A second claim reviewer."""
    from portal.groups import CLAIM_REVIEWER

    return _staff("vera", CLAIM_REVIEWER)


def decide(claim, actor, at, *, reject=False):
    if reject:
        return decisions.claim_reject(claim_id=claim.pk, actor=actor, reason="照片不清晰", at=at)
    return decisions.claim_approve(claim_id=claim.pk, actor=actor, at=at)


def windows(figures):
    return {w.key: (w.share.decided, w.share.on_time) for w in figures.windows}


def test_R32_a_decision_at_the_deadline_is_on_time_and_one_second_later_is_late(submit, rita):
    submitted = NOW - dt.timedelta(hours=30)
    due = submitted + DAY  # 18:30 yesterday (Shanghai)
    decide(submit(1, submitted), rita, due - SECOND)
    decide(submit(2, submitted), rita, due)
    decide(submit(3, submitted), rita, due + SECOND, reject=True)

    figures = sla.reviewer_sla(now=NOW)

    assert windows(figures)["7d"] == (3, 2)
    (row,) = figures.reviewers
    assert row.reviewer == "rita"
    assert (row.last_7_days.decided, row.last_7_days.on_time, row.last_7_days.late) == (3, 2, 1)
    assert row.last_7_days.percent == "66.7%"


def test_R32_the_windows_are_shanghai_days(submit, rita):
    midnight = dt.datetime(2026, 6, 20, 0, 0, tzinfo=SHANGHAI)  # today starts (16:00 UTC)
    decide(submit(1, midnight - dt.timedelta(hours=2)), rita, midnight)  # today, 00:00:00
    decide(submit(2, midnight - dt.timedelta(hours=2)), rita, midnight - SECOND)  # yesterday
    six_days_ago = midnight - dt.timedelta(days=6)
    decide(submit(3, six_days_ago - dt.timedelta(hours=1)), rita, six_days_ago)  # in 7 days
    decide(submit(4, six_days_ago - dt.timedelta(hours=2)), rita, six_days_ago - SECOND)
    month = midnight - dt.timedelta(days=29)
    decide(submit(5, month - dt.timedelta(hours=1)), rita, month)  # the 30th day
    decide(submit(6, month - dt.timedelta(hours=2)), rita, month - SECOND)  # 31 days ago
    decide(submit(7, NOW - dt.timedelta(hours=2)), rita, NOW + SECOND)  # after "now"

    figures = sla.reviewer_sla(now=NOW)

    assert windows(figures) == {"today": (1, 1), "7d": (3, 3), "30d": (5, 5)}
    assert [w.since for w in figures.windows] == [midnight, six_days_ago, month]


def test_R32_overdue_now_and_due_within_two_hours_are_judged_by_the_stored_deadline(submit, rita):
    submit(1, NOW - DAY - SECOND)  # due a second ago: overdue
    submit(2, NOW - DAY)  # due now: not yet overdue, due soon
    submit(3, NOW - DAY + dt.timedelta(hours=2) - SECOND)  # due in 2 h - 1 s: soon
    submit(4, NOW - DAY + dt.timedelta(hours=2))  # due in exactly 2 h: not within
    decide(submit(5, NOW - DAY - dt.timedelta(hours=3)), rita, NOW - SECOND)  # decided late

    figures = sla.reviewer_sla(now=NOW)

    assert (figures.overdue_now, figures.due_soon) == (1, 2)
    assert windows(figures)["today"] == (1, 0)


def test_R32_per_reviewer_with_the_system_last(submit, rita, vera):
    yesterday = NOW - dt.timedelta(hours=20)
    decide(submit(1, yesterday), vera, yesterday + dt.timedelta(hours=1))
    decide(submit(2, yesterday), rita, yesterday + dt.timedelta(hours=2))
    decide(submit(3, NOW - dt.timedelta(days=20)), rita, NOW - dt.timedelta(days=18))  # late
    fast = submit(4, yesterday, tier=5)  # R39: approved by the system on arrival
    assert fast.decided_by_system and fast.decided_by is None

    rows = {r.reviewer: r for r in sla.reviewer_sla(now=NOW).reviewers}

    assert list(rows) == ["rita", "vera", ""]
    assert (rows["rita"].last_7_days.decided, rows["rita"].last_30_days.decided) == (1, 2)
    assert rows["rita"].last_30_days.percent == "50.0%"
    assert rows["vera"].last_30_days.percent == "100.0%"
    assert (rows[""].last_7_days.decided, rows[""].last_7_days.on_time) == (1, 1)


def test_the_decision_names_its_reviewer_and_the_system_none(submit, rita):
    claim = decide(submit(1, NOW - dt.timedelta(hours=3)), rita, NOW - dt.timedelta(hours=1))
    assert Claim.objects.get(pk=claim.pk).decided_by == rita
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.PAID


def test_a_share_with_no_decision_is_a_dash_not_zero_percent():
    assert sla.Share(decided=0, on_time=0).percent == "—"
    assert sla.Share(decided=3, on_time=3).percent == "100.0%"
    assert sla.Share(decided=8, on_time=7).percent == "87.5%"
    assert sla.Share(decided=3, on_time=1).percent == "33.3%"


def test_R32_countdowns_before_and_after_the_deadline():
    due = NOW
    with translation.override("zh-hans"):
        assert sla.countdown(due, due + dt.timedelta(hours=1)) == "已超时 1 小时 0 分"
    with translation.override("en"):
        left = sla.countdown(due, due - dt.timedelta(hours=3, minutes=12, seconds=30))
        assert left == "3 h 12 min left"
        assert sla.countdown(due, due - dt.timedelta(seconds=59)) == "0 min left"
        assert sla.countdown(due, due) == "0 min left"
        assert sla.countdown(due, due + dt.timedelta(hours=2, minutes=5)) == "overdue 2 h 5 min"
        assert sla.countdown(due, due + dt.timedelta(days=28, hours=7)) == "overdue 28 d 7 h"


def test_the_sla_page_shows_the_figures_in_chinese(
    client, submit, rita, django_assert_max_num_queries
):
    submit(1, NOW - DAY - dt.timedelta(hours=1))  # overdue whatever the real time is now
    client.force_login(rita)

    with django_assert_max_num_queries(12):
        response = client.get("/admin/claims/claim/sla/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 200
    body = response.content.decode()
    assert "审核时效" in body and "最近 7 天" in body and "待审核，已超时" in body
    assert response.context["sla"].overdue_now == 1


def test_R101_only_claim_reviewers_see_the_sla_page(client, fiona, alice):
    client.force_login(fiona)
    assert client.get("/admin/claims/claim/sla/").status_code == 403
    client.force_login(alice)
    assert client.get("/admin/claims/claim/sla/").status_code == 302
