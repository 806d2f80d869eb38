"""R100/R102: walk every merchant URL with another shop's ids: always a 404, never its data."""

import datetime as dt

import pytest
import time_machine
from django.urls import get_resolver, reverse

from claims.models import Claim, Evidence, Policy
from claims.services import decisions, feedback
from enrollment.models import Enrollment
from exports import services as export_services
from exports import start as export_start
from invoicing import services as invoicing_services
from invoicing.models import InvoiceRequest
from notifications.models import Notification
from tests.conftest import ENROLLED_SINCE, enroll
from tests.factories import make_orders

pytestmark = pytest.mark.django_db

MERCHANT_APPS = {"claims", "enrollment", "invoicing", "exports", "notifications"}


def merchant_patterns():
    """(namespaced name, parameter names) of every merchant page."""
    found = []
    for top in get_resolver().url_patterns:
        namespace = getattr(top, "namespace", None)
        if namespace not in MERCHANT_APPS:
            continue
        for pattern in top.url_patterns:
            found.append((f"{namespace}:{pattern.name}", tuple(pattern.pattern.converters)))
    return found


@pytest.fixture
def bobs_objects(client, bob, uma, rita):
    """Bob's shop with a policy, a claim with evidence, a refusal, feedback and a payout."""
    bobs_shop = bob.merchant.shop
    with time_machine.travel(dt.datetime.fromisoformat(ENROLLED_SINCE), tick=False):
        enroll(bob, uma)
    make_orders(client, bobs_shop, 2, prefix="BOB")
    refund_only = Claim.objects.get(refund__platform_refund_id="RBOB0")
    decisions.claim_approve(claim_id=refund_only.pk, actor=rita)
    policy = Policy.objects.filter(shop=bobs_shop).first()
    report = feedback.feedback_create(
        shop=bobs_shop, actor=bob, category="other", description="x", policy=policy
    )
    invoice = invoicing_services.invoice_request_create(
        shop=bobs_shop,
        actor=bob,
        first_month=dt.date(2026, 6, 1),  # make_orders ships on 1 June 2026 (events.T0)
        last_month=dt.date(2026, 6, 1),
        invoice_type="electronic_general",
        title="乙电器有限公司",
        taxpayer_id="91330106MA2GL0000K",
        email="bob@shop-b.cn",
    )
    export = export_start.csv_export_start(
        shop=bobs_shop,
        actor=bob,
        kind="policies",
        params={},
        filename="policies.csv",
        language="zh-hans",
    )
    export_services.csv_export_write(export_id=export.pk)
    export.refresh_from_db()
    assert export.state == "ready" and export.file  # a 404 below is the scoping, not the state
    return {
        "export": export,
        "invoice": invoice,
        "policy": policy,
        "claim": Claim.objects.get(refund__platform_refund_id="RBOB1"),
        "evidence": Evidence.objects.filter(shop=bobs_shop).first(),
        "enrollment": Enrollment.objects.get(shop=bobs_shop),
        "feedback": report,
        "notification": Notification.objects.get(shop=bobs_shop, kind="approved_paid"),
    }


OBJECT_FOR = {
    "claims:policy": "policy",
    "claims:policy_report": "policy",
    "claims:claim": "claim",
    "claims:confirm": "claim",
    "claims:refuse": "claim",
    "claims:claim_report": "claim",
    "claims:evidence": "evidence",
    "enrollment:period_detail": "enrollment",
    "invoicing:cancel": "invoice",
    "invoicing:pdf": "invoice",
    "exports:detail": "export",
    "exports:download": "export",
    "notifications:read": "notification",
}


def test_R100_every_merchant_url_with_an_id_is_in_the_walk():
    with_ids = {name for name, params in merchant_patterns() if "pk" in params}
    assert with_ids == set(OBJECT_FOR)


def test_R100_R102_another_shops_objects_are_404_on_every_merchant_url(client, alice, bobs_objects):
    client.force_login(alice)
    for name, params in merchant_patterns():
        if "pk" not in params:
            continue
        url = reverse(name, args=[bobs_objects[OBJECT_FOR[name]].pk])
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {}).status_code in (404, 405), url
    assert Claim.objects.get(pk=bobs_objects["claim"].pk).state == "submitted"
    assert InvoiceRequest.objects.get(pk=bobs_objects["invoice"].pk).state == "submitted"
    assert Notification.objects.get(pk=bobs_objects["notification"].pk).read_at is None


def test_R100_lists_and_exports_never_show_another_shops_rows(client, alice, bobs_objects):
    client.force_login(alice)
    for name, params in merchant_patterns():
        if params:
            continue
        response = client.get(reverse(name))
        if response.status_code != 200:
            continue
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"BOB" not in content, name


def test_marking_all_notifications_read_leaves_another_shops_unread(client, alice, bobs_objects):
    client.force_login(alice)
    assert client.post(reverse("notifications:read_all")).status_code == 302
    assert Notification.objects.get(pk=bobs_objects["notification"].pk).read_at is None
