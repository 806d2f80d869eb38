"""R102: evidence files are served only to the shop's merchants and to staff, never publicly."""

import pytest
from django.urls import reverse

from claims.models import Evidence

pytestmark = pytest.mark.django_db


@pytest.fixture
def evidence(request_refund):
    request_refund()
    return Evidence.objects.get()


def url(evidence, **query):
    base = reverse("claims:evidence", args=[evidence.pk])
    return base + ("?size=thumb" if query.get("thumb") else "")


def test_R102_the_shops_merchant_sees_its_evidence(client, evidence, alice):
    client.force_login(alice)
    response = client.get(url(evidence))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"].startswith("private")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_R102_a_reviewer_sees_evidence_and_thumbnails(client, evidence, rita):
    client.force_login(rita)
    assert client.get(url(evidence)).status_code == 200
    thumb = client.get(url(evidence, thumb=True))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize("who", ["anonymous", "bob", "uma"])
def test_R100_R102_anyone_else_gets_a_404(client, evidence, request, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    assert client.get(url(evidence)).status_code == 404


def test_R102_media_files_have_no_public_url(client, evidence):
    assert client.get("/media/" + evidence.file.name).status_code == 404
