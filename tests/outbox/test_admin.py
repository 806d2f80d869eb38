"""R113/R101: staff see the messages of their area in the admin, filter them and resend."""

import pytest
from django.urls import reverse

from claims.services import decisions
from outbox.models import Message

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:outbox_message_changelist")


@pytest.fixture
def paid(request_refund, rita):
    """R1 approved and paid: claim.decided (reviewers') and claim.refund_due (finance's)."""
    claim = request_refund(kind="refund_only", amount="150.00").claim
    decisions.claim_approve(claim_id=claim.pk, actor=rita)
    return claim


def shown(client, user, query=""):
    client.force_login(user)
    response = client.get(CHANGELIST + query)
    assert response.status_code == 200
    return {m.type for m in response.context["cl"].result_list}


def test_R101_reviewers_see_decisions_and_finance_sees_money(client, paid, rita, fiona):
    assert shown(client, rita) == {"claim.decided"}
    assert shown(client, fiona) == {"claim.refund_due", "policy.issued"}


def test_R101_underwriters_do_not_see_the_outbox(client, paid, uma):
    client.force_login(uma)
    assert client.get(CHANGELIST).status_code == 403


def test_R113_the_list_shows_status_attempts_next_try_and_the_answer(client, paid, fiona):
    Message.objects.filter(type="claim.refund_due").update(
        attempts=4, last_status_code=500, last_answer='{"error":"try later"}'
    )
    client.force_login(fiona)
    body = client.get(CHANGELIST + "?type__exact=claim.refund_due").content.decode()
    assert "try later" in body and "500" in body and "R1" in body


def test_R113_filters_by_type_status_and_refund(client, paid, fiona):
    assert shown(client, fiona, "?type__exact=policy.issued") == {"policy.issued"}
    assert shown(client, fiona, "?status__exact=delivered") == set()
    assert shown(client, fiona, "?key=refund:R1") == {"claim.refund_due"}
    assert shown(client, fiona, "?q=R1") == {"claim.refund_due"}
    assert shown(client, fiona, "?q=R9") == set()


def test_R113_staff_resend_dead_messages_and_the_index_counts_them(client, paid, rita):
    Message.objects.update(status="dead")
    client.force_login(rita)
    index = client.get(reverse("admin:index")).content.decode()
    assert "1 条发往平台的消息已放弃" in index  # zh-hans first; only rita's area counts

    decided = Message.objects.get(type="claim.decided")
    response = client.post(
        CHANGELIST, {"action": "resend", "_selected_action": [decided.pk]}, follow=True
    )
    assert response.status_code == 200
    decided.refresh_from_db()
    assert decided.status == "pending"
    assert Message.objects.get(type="claim.refund_due").status == "dead"  # not selected
    assert "发往平台的消息已放弃" not in client.get(reverse("admin:index")).content.decode()


def test_R113_a_message_shows_its_body(client, paid, rita):
    decided = Message.objects.get(type="claim.decided")
    client.force_login(rita)
    response = client.get(reverse("admin:outbox_message_change", args=[decided.pk]))
    assert response.status_code == 200
    assert str(decided.message_id) in response.content.decode()


def test_issue12_the_demo_shows_delivered_and_retried_messages(capsys):
    from django.core.management import call_command

    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "Callbacks to a loopback marketplace" in out
    delivered = Message.objects.filter(status="delivered")
    assert delivered.filter(attempts=1).exists()  # at once
    assert delivered.filter(attempts=2).exists()  # after a 500
    assert Message.objects.filter(status="pending", attempts__gte=1, last_status_code=500).exists()

    call_command("seed_demo")  # idempotent: nothing posted again
    assert Message.objects.filter(status="delivered").count() == delivered.count()
