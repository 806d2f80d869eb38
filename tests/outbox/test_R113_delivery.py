"""R112/R113: at least once, the same bytes every time, in order per refund; retried with
backoff for 3 days, then dead; staff resend. A real receiver on 127.0.0.1 (tests/outbox)."""

import datetime as dt
import random
import socket

import pytest
import time_machine
from django.utils import timezone

from claims.services import decisions
from outbox import delivery
from outbox.delivery import Target, backoff
from outbox.models import Message, MessageStatus
from outbox.services import messages_resend
from tests.outbox.conftest import SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def rejected(request_refund, rita):
    """Three messages: O1's policy twice (issued, covered), then R1's decision."""
    claim = request_refund(kind="return_and_refund").claim
    decisions.claim_reject(claim_id=claim.pk, actor=rita, reason="图片无法证明质量问题")
    return Message.objects.get(type="claim.decided")


def later(minutes=0):
    """Every retry's time has come (the backoff is at most an hour)."""
    return time_machine.travel(timezone.now() + dt.timedelta(hours=1, minutes=minutes), tick=True)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_R113_a_500_is_retried_later_with_exactly_the_same_body(rejected, receiver, deliver):
    receiver.fail_next(2, code=500)
    result = deliver()
    assert (result.delivered, result.retrying) == (0, 2)  # O1's second waits for its first
    rejected.refresh_from_db()
    assert (rejected.status, rejected.attempts, rejected.last_status_code) == ("pending", 1, 500)
    assert "try later" in rejected.last_answer
    assert rejected.next_attempt_at > timezone.now()
    assert deliver().attempted == 0  # not due before its next try

    with later():
        assert deliver().delivered == 3
    rejected.refresh_from_db()
    assert (rejected.status, rejected.attempts, rejected.last_status_code) == ("delivered", 2, 200)
    bodies = [r.raw for r in receiver.received if r.message_id == str(rejected.message_id)]
    assert len(bodies) == 2 and bodies[0] == bodies[1] == rejected.body.encode()


def test_R113_a_receiver_that_is_down_gets_it_when_it_is_back(rejected, receiver, deliver):
    down = Target(url=f"http://127.0.0.1:{closed_port()}/callbacks", secret=SECRET)
    assert deliver(to=down).retrying == 2
    rejected.refresh_from_db()
    assert rejected.last_status_code is None and "ConnectError" in rejected.last_answer

    with later():
        assert deliver().delivered == 3
    assert str(rejected.message_id) in receiver.ids()


def test_R113_a_receiver_hanging_past_the_read_timeout_gets_it_later(rejected, receiver, deliver):
    receiver.hang_next(1, seconds=3)  # the first message; the read timeout is 0.5 s
    result = deliver()
    assert (result.retrying, result.delivered) == (1, 1)  # R1's decision went; O1's waits
    first = Message.objects.order_by("seq").first()
    assert first.last_answer.startswith("timeout")

    with later():
        deliver()
    assert Message.objects.filter(status="delivered").count() == 3
    copies = [r.raw for r in receiver.received if r.message_id == str(first.message_id)]
    assert len(copies) == 2 and copies[0] == copies[1]


def test_R112_a_later_message_about_a_refund_waits_for_the_earlier_one(
    rejected, receiver, deliver, client, request_refund, rita
):
    # O1's policy messages fail and wait; R1's decision and the buyer's revocation, about
    # other things, go out meanwhile.
    from claims.models import Buyer
    from claims.services.feedback import buyer_revoke_eligibility

    buyer = Buyer.objects.get(platform_buyer_id="buyer-1")
    buyer_revoke_eligibility(buyer_id=buyer.pk, actor=rita, reason="恶意退款")
    Message.objects.exclude(type="buyer.eligibility_revoked").update(
        next_attempt_at=timezone.now() - dt.timedelta(minutes=1)  # O1's first is tried first
    )
    first_policy = Message.objects.filter(key="order:O1").order_by("seq").first()
    receiver.fail_next(1)  # O1's first message fails: its second must wait
    deliver()
    sent = [r.type for r in receiver.received]
    assert sent.count("policy.issued") == 1  # only the first, which failed
    assert "buyer.eligibility_revoked" in sent and "claim.decided" in sent
    assert Message.objects.get(key="order:O1", seq__gt=first_policy.seq).attempts == 0

    with later():
        deliver()
    o1 = [
        r.envelope["data"]["coverage_start"]
        for r in receiver.delivered()
        if r.type == "policy.issued"
    ]
    assert o1[0] is None and o1[1] is not None  # issued, then covered: in order


def test_R113_after_3_days_of_failures_a_message_is_dead_and_staff_can_resend_it(
    rejected, receiver, deliver
):
    receiver.fail_next(10_000)
    deliver()
    start = timezone.now()
    for hours in range(0, 3 * 24 + 2, 1):
        with time_machine.travel(start + dt.timedelta(hours=hours), tick=False):
            deliver()
    rejected.refresh_from_db()
    assert rejected.status == MessageStatus.DEAD
    assert rejected.attempts >= 3 * 24 - 5  # about hourly at the cap
    assert rejected.last_attempt_at - rejected.created_at <= dt.timedelta(days=3, hours=1)

    receiver._script.clear()
    messages_resend(messages=Message.objects.filter(pk=rejected.pk))
    assert deliver().delivered >= 1
    rejected.refresh_from_db()
    assert rejected.status == "delivered"


def test_R113_backoff_doubles_with_jitter_up_to_the_cap(settings):
    settings.CALLBACK_RETRY_BASE_SECONDS, settings.CALLBACK_RETRY_MAX_SECONDS = 10, 3600
    rng = random.Random(7)
    for attempts, nominal in [(1, 10), (2, 20), (3, 40), (8, 1280), (9, 2560), (12, 3600)]:
        waits = {backoff(attempts, rng).total_seconds() for _ in range(20)}
        assert all(nominal / 2 <= w < nominal for w in waits), (attempts, waits)
        assert len(waits) > 1  # jittered


def test_R113_a_worker_killed_mid_send_leaves_the_message_to_send_again(
    rejected, receiver, target, monkeypatch, deliver
):
    """The post reaches the receiver, then the worker dies before recording it (a
    BaseException, as a kill): nothing was recorded, so the next worker sends it again."""
    real_post = delivery.post

    def dies_after_posting(client, target_, message):
        real_post(client, target_, message)
        raise SystemExit("killed")

    monkeypatch.setattr(delivery, "post", dies_after_posting)
    with pytest.raises(SystemExit):
        deliver()
    monkeypatch.setattr(delivery, "post", real_post)
    first = Message.objects.order_by("seq").first()
    assert (first.status, first.attempts) == ("pending", 0)

    deliver()
    ids = [r.message_id for r in receiver.received]
    assert ids.count(str(first.message_id)) == 2  # sent again, same id
    assert Message.objects.filter(status="delivered").count() == 3


def test_R113_nothing_is_sent_without_a_callback_url_and_nothing_is_lost(rejected):
    assert delivery.deliver_due(target=Target(url="", secret=SECRET)).attempted == 0
    assert Message.objects.filter(status="pending").count() == 3


def test_R110_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    import hashlib
    import hmac

    raw = b'{"id":"x"}'
    expected = hmac.new(b"s3cret", b"1700000000." + raw, hashlib.sha256).hexdigest()
    assert delivery.signature("s3cret", "1700000000", raw) == f"sha256={expected}"
