"""R85/R102: hostile evidence through both upload paths: the API's refund.requested event and
the merchant's refuse-receipt (and report-a-buyer) forms.

Random bytes, truncated images, decompression bombs, files that pretend to be images and
polyglots (tests/security/payloads.py): never a 5xx, never a stored file that is not a
valid image (the storage folder and the Evidence rows are checked), never a half-applied
event or form (a refund without its claim, a claim moved without its evidence, a valid photo
left behind by an invalid one beside it).
"""

import base64
import io
import os

import pytest
from django.urls import reverse

from claims.models import BuyerFeedback, Claim, ClaimState, Evidence, RefundRequest
from claims.services import decisions
from tests.factories import order_story
from tests.platform_api import events as ev
from tests.security.invariants import assert_consistent, evidence_files
from tests.security.payloads import INVALID, PAYLOADS, VALID

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]

PNG = ev.png_bytes()


def refund_with(refund_id, order_id, files, **kwargs):
    return ev.refund_requested(refund_id, order_id, evidence=files, **kwargs)


def received_orders(client, shop, order_ids):
    events = []
    for order_id in order_ids:
        events += order_story(order_id, shop.platform_shop_id)
    assert {r["status"] for r in ev.send(client, *events)} == {"applied"}


def upload(name, data):
    file = io.BytesIO(data)
    file.name = name
    return file


# --- the API: refund.requested with evidence (R85) ---


def test_R85_every_payload_through_the_event_api(client, shop, alice):
    cases = [(label, [(name, data)], valid) for label, name, data, valid in PAYLOADS]
    cases += [
        ("a real photo beside random bytes", [("a.png", PNG), INVALID[2][1:3]], False),
        ("a real photo beside a bomb", [("a.png", PNG), ("bomb.png", _payload("PNG bomb"))], False),
        (
            "ten real photos (at most 9)",
            [(f"{n}.png", ev.png_bytes((n, 0, 0))) for n in range(10)],
            False,
        ),
        ("nine real photos", [(f"{n}.png", ev.png_bytes((0, n, 0))) for n in range(9)], True),
        ("a traversal file name", [("../../../../etc/passwd.png", PNG)], True),
        ("a 300-character file name (200 at most)", [("x" * 296 + ".png", PNG)], False),
    ]
    order_ids = [f"E{n}" for n in range(len(cases))]
    received_orders(client, shop, order_ids)
    batch = [
        refund_with(f"RE{n}", order_ids[n], files, kind="return_and_refund")
        for n, (_label, files, _valid) in enumerate(cases)
    ]

    results = ev.send(client, *batch)

    for (label, _files, valid), result in zip(cases, results, strict=True):
        expected = "applied" if valid else "rejected"
        assert result["status"] == expected, (label, result)
    applied = [n for n, (_l, _f, valid) in enumerate(cases) if valid]
    assert set(RefundRequest.objects.values_list("platform_refund_id", flat=True)) == {
        f"RE{n}" for n in applied
    }
    stored_files = sum(len(cases[n][1]) for n in applied)
    assert Evidence.objects.count() == stored_files == len(evidence_files())
    assert all(name.startswith("evidence" + os.sep) for name in evidence_files())
    assert_consistent()

    # Sent again (a retry): the applied ones are duplicates, the others rejected again.
    again = ev.send(client, *batch)
    for (label, _files, valid), result in zip(cases, again, strict=True):
        assert result["status"] == ("duplicate" if valid else "rejected"), label
    assert Evidence.objects.count() == stored_files == len(evidence_files())
    assert_consistent()


def _payload(label_part):
    return next(data for label, _n, data, _v in PAYLOADS if label_part in label)


def test_R85_evidence_that_is_not_base64_is_rejected(client, shop):
    received_orders(client, shop, ["B1"])
    event = refund_with("RB1", "B1", [("a.png", PNG)])
    for content in ["not base64!", "iVBORw0KGgo=" + "=" * 3, base64.b64encode(PNG).decode()[:-1]]:
        event["data"]["evidence"][0]["content_base64"] = content
        event["id"] += "x"
        (result,) = ev.send(client, event)
        assert result["status"] == "rejected", content
    assert not RefundRequest.objects.exists() and not evidence_files()


def test_R102_polyglots_that_are_images_are_served_only_as_images(client, shop, alice):
    received_orders(client, shop, ["P1", "P2"])
    polyglots = [p for p in VALID if "HTML" in p[0] or "script" in p[0]]
    assert len(polyglots) == 2
    ev.send(
        client,
        *[
            refund_with(f"RP{n}", f"P{n + 1}", [(name, data)])
            for n, (_label, name, data, _v) in enumerate(polyglots)
        ],
    )
    client.force_login(alice)
    for evidence in Evidence.objects.all():
        response = client.get(reverse("claims:evidence", args=[evidence.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] in ("image/jpeg", "image/png")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'"
        assert response["Content-Disposition"].startswith('inline; filename="evidence-')


# --- the merchant's forms: refuse receipt (R34) and report a buyer (R60) ---


@pytest.fixture
def return_shipped(client, shop, rita):
    received_orders(client, shop, ["M1"])
    (result,) = ev.send(
        client, refund_with("RM1", "M1", [("p.png", PNG)], kind="return_and_refund")
    )
    assert result["status"] == "applied"
    claim = Claim.objects.get(refund__platform_refund_id="RM1")
    decisions.claim_approve(claim_id=claim.pk, actor=rita)
    ev.send(client, ev.return_shipped("RM1"))
    claim.refresh_from_db()
    assert claim.state == ClaimState.RETURN_SHIPPED
    return claim


def test_R34_R85_no_invalid_upload_moves_a_claim_or_leaves_a_file(client, alice, return_shipped):
    client.force_login(alice)
    url = reverse("claims:refuse", args=[return_shipped.pk])
    before = evidence_files()
    attempts = [[upload(name, data)] for _label, name, data, _v in INVALID]
    attempts += [
        [upload("ok.png", PNG), upload("random.jpg", INVALID[2][2])],  # valid first, then not
        [upload("ok.png", PNG), upload("bomb.png", _payload("PNG bomb"))],
        [upload(f"{n}.png", ev.png_bytes((n, 9, 9))) for n in range(10)],
    ]

    for files in attempts:
        response = client.post(url, {"ground": "empty_parcel", "note": "空箱", "photos": files})
        assert response.status_code == 400, [f.name for f in files]
        return_shipped.refresh_from_db()
        assert return_shipped.state == ClaimState.RETURN_SHIPPED
        assert evidence_files() == before
        assert not Evidence.objects.filter(kind="refusal").exists()

    bad_ground = client.post(
        url, {"ground": "changed_mind", "note": "x", "photos": [upload("a.png", PNG)]}
    )
    assert bad_ground.status_code == 400 and evidence_files() == before
    assert_consistent()


def test_R34_R85_valid_photos_and_polyglot_images_are_stored_once(client, alice, return_shipped):
    client.force_login(alice)
    url = reverse("claims:refuse", args=[return_shipped.pk])
    files = [upload(name, data) for _label, name, data, _valid in VALID]

    response = client.post(url, {"ground": "empty_parcel", "note": "空箱", "photos": files})

    assert response.status_code == 302
    return_shipped.refresh_from_db()
    assert return_shipped.state == ClaimState.RECEIPT_REFUSED
    assert Evidence.objects.filter(kind="refusal").count() == len(VALID)
    stored = evidence_files()

    again = client.post(
        url, {"ground": "empty_parcel", "note": "x", "photos": [upload("b.png", PNG)]}
    )
    assert again.status_code == 400  # no return to refuse any more: nothing stored
    assert evidence_files() == stored
    assert_consistent()


def test_R60_R85_reporting_a_buyer_with_bad_photos_stores_nothing(client, alice, return_shipped):
    client.force_login(alice)
    url = reverse("claims:claim_report", args=[return_shipped.pk])
    before = evidence_files()
    for _label, name, data, _valid in INVALID[:12]:
        response = client.post(
            url, {"category": "other", "description": "x", "photos": [upload(name, data)]}
        )
        # issue 11: the report's own page again, the reason beside the photos, no class name
        assert response.status_code == 400
        body = response.content.decode()
        assert 'id="id_photos_error"' in body and "Error" not in body.split("<main", 1)[1]
        assert not BuyerFeedback.objects.exists()
        assert evidence_files() == before
    assert_consistent()
