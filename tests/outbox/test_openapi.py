"""R86/R111: the served document describes every callback, from the same declarations the
messages are checked against; real callbacks validate against it."""

import json

import jsonschema
import pytest

from claims.services import decisions
from outbox.models import Message
from outbox.types import MessageType

pytestmark = pytest.mark.django_db


@pytest.fixture
def doc(client):
    return client.get("/api/v1/openapi.json").json()


def test_R86_every_message_type_is_a_documented_webhook_and_no_other(doc):
    assert set(doc["webhooks"]) == set(MessageType.values)
    for name, hook in doc["webhooks"].items():
        ref = hook["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["properties"]["type"] == {"const": name}
        headers = {p["name"] for p in hook["post"]["parameters"]}
        assert headers == {"X-Warranty-Timestamp", "X-Warranty-Signature"}


def test_R86_the_messages_written_validate_against_the_served_document(doc, request_refund, rita):
    claim = request_refund(kind="return_and_refund").claim
    decisions.claim_approve(claim_id=claim.pk, actor=rita)
    bodies = [json.loads(m.body) for m in Message.objects.order_by("seq")]
    assert {b["type"] for b in bodies} == {"policy.issued", "claim.decided"}
    for body in bodies:
        schema = doc["components"]["schemas"][f"Callback.{body['type']}"]
        jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
            body
        )


def test_R86_a_message_with_a_field_the_document_lacks_fails_validation(doc):
    schema = doc["components"]["schemas"]["Callback.claim.closed"]
    body = {
        "id": "6f1d0c52-3d55-4d0c-9d1e-7a1f2b0c9e11",
        "type": "claim.closed",
        "occurred_at": "2026-06-01T10:00:00+08:00",
        "data": {"refund_id": "R1", "state": "closed_timeout", "extra": 1},
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, schema)
