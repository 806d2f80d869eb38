"""What reviewers read in the admin (issue 11; R2, R3, R32, R40, R60): the timeline in local
time with translated steps and reasons, a red overdue mark, labels without rule ids, reasons
by their labels, the feedback queue open first, and the language switch."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from claims.models import BuyerFeedback, Claim
from claims.services import feedback
from portal.clock import SHANGHAI
from tests.claims.test_workbench import QUEUE, queue  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def change_page(client, claim):
    return client.get(f"/admin/claims/claim/{claim.pk}/change/", **ZH).content.decode()


def test_R40_the_timeline_shows_shanghai_time_a_translated_step_and_reason(client, queue):  # noqa: F811
    claim = queue["R3"]  # submitted, approved by rita, refunded and paid by the system
    body = change_page(client, claim)

    submitted = timezone.localtime(claim.submitted_at, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    assert submitted in body
    assert "+00:00" not in body
    assert "已提交" in body and "已赔付给店铺" in body  # submit, mark_paid
    assert "属于保障范围，已转保险公司审核" in body  # "system: R30 covered request routed ..."
    assert "自动赔付给店铺" in body
    assert "system: R" not in body and "mark_paid" not in body


def test_R32_an_overdue_claim_gets_a_red_warning_not_a_green_tick(client, queue):  # noqa: F811
    body = change_page(client, queue["R1"])  # 30 h old, not decided
    row = body[body.index("field-review_overdue_display") :][:600]
    assert "⚠ 已超时" in row and "icon-yes" not in row
    assert "已超时 6 小时" in row  # the countdown past the deadline

    in_time = change_page(client, queue["R2"])
    row = in_time[in_time.index("field-review_overdue_display") :][:600]
    assert "未超时" in row and "剩余 21 小时" in row


def test_labels_carry_no_rule_ids(client, queue):  # noqa: F811
    body = change_page(client, queue["R1"])
    labels = re.findall(r"<label>([^<]*)</label>|<h2[^>]*heading[^>]*>([^<]*)</h2>", body)
    assert labels
    assert not [text for pair in labels for text in pair if re.search(r"\bR\d+\b", text)]


def test_refund_requests_show_the_reason_by_its_label(client, queue):  # noqa: F811
    body = client.get("/admin/claims/refundrequest/", **ZH).content.decode()
    assert "质量问题" in body  # quality_issue
    assert "quality_issue" not in body


def test_R60_the_feedback_queue_lists_open_reports_first(client, queue, shop, alice, rita):  # noqa: F811
    reports = []
    for claim in (queue["R1"], queue["R2"], queue["R3"]):
        reports.append(
            feedback.feedback_create(
                shop=shop, actor=alice, category="other", description="多次退款", claim=claim
            )
        )
    feedback.feedback_uphold(feedback_id=reports[0].pk, actor=rita)  # the oldest: decided
    feedback.feedback_dismiss(feedback_id=reports[1].pk, actor=rita)

    response = client.get("/admin/claims/buyerfeedback/", **ZH)

    listed = [f.pk for f in response.context["cl"].result_list]
    assert listed[0] == reports[2].pk
    assert BuyerFeedback.objects.get(pk=listed[0]).state == "open"
    assert set(listed[1:]) == {reports[0].pk, reports[1].pk}


def test_the_admin_switches_language(client, queue):  # noqa: F811
    page = client.get(QUEUE, **ZH).content.decode()
    assert 'action="/i18n/setlang/"' in page and 'value="en"' in page

    response = client.post("/i18n/setlang/", {"language": "en", "next": QUEUE}, **ZH)
    assert response.status_code == 302 and response["Location"] == QUEUE

    english = client.get(QUEUE, **ZH).content.decode()  # the choice beats the browser's
    assert "Refund id" in english or "refund id" in english
    assert "Review overdue" in english or "review overdue" in english.lower()


def test_R51_a_model_rate_explains_itself_in_chinese(client, shop, uma):
    client.force_login(uma)
    body = client.get("/admin/enrollment/premiumrate/", **ZH).content.decode()
    assert "风险模型：1.50%" in body
    assert "Risk model" not in body


def test_the_claim_names_the_reviewer_who_decided(client, queue, rita):  # noqa: F811
    body = change_page(client, queue["R3"])
    assert "审核员 rita" in body
    assert Claim.objects.get(pk=queue["R3"].pk).decided_by == rita
    assert queue["R3"].submitted_at > timezone.now() - dt.timedelta(hours=2)
