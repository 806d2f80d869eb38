"""R86: the served OpenAPI document stays true to the code."""

import datetime as dt

import jsonschema
import pytest
from django.urls import get_resolver

from platform_api.ingest import HANDLERS
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db


@pytest.fixture
def doc(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def validate(doc, instance, name):
    """Validate against components/schemas/<name>; its $refs resolve inside the document."""
    schema = {**doc["components"]["schemas"][name], "components": doc["components"]}
    jsonschema.Draft202012Validator(schema).validate(instance)


def test_R86_the_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"].startswith("3.1")
    for schema in doc["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_R86_every_event_type_the_code_handles_is_documented_and_no_other(doc):
    documented = {
        ref["$ref"].rsplit("/", 1)[1] for ref in doc["components"]["schemas"]["Event"]["oneOf"]
    }
    assert documented == set(HANDLERS)


def test_R86_every_api_route_is_documented(doc):
    api = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/")
    routes = {
        "/api/v1/" + str(p.pattern).replace("<str:", "{").replace(">", "}")
        for p in api.url_patterns
        if p.name != "openapi"
    }
    assert routes == set(doc["paths"])


def test_R86_the_events_the_tests_send_validate_against_the_document(doc):
    samples = [
        ev.order_placed("O1", "TM-1"),
        ev.order_shipped("O1"),
        ev.order_received("O1"),
        ev.refund_requested("R1", "O1"),
        ev.return_shipped("R1"),
        ev.refund_cancelled("R1"),
    ]
    for sample in samples:
        validate(doc, sample, sample["type"])
        validate(doc, sample, "Event")
    validate(doc, {"events": samples}, "Batch")


def test_R86_a_malformed_event_fails_the_documented_schema(doc):
    bad = ev.order_placed("O1", "TM-1")
    del bad["data"]["lines"]
    with pytest.raises(jsonschema.ValidationError):
        validate(doc, bad, "order.placed")


def test_R86_real_responses_validate_against_the_document(client, shop, doc):
    results = ev.send(
        client,
        ev.order_placed("O1", shop.platform_shop_id),
        ev.order_shipped("O1"),
        ev.order_received("O1", at=ev.T0 + dt.timedelta(days=1)),
        ev.refund_requested("R1", "O1", kind="return_and_refund"),
        ev.order_shipped("NOPE"),
    )
    validate(doc, {"results": results}, "Results")
    validate(doc, ev.get(client, "/api/v1/orders/O1").json(), "Order")
    validate(doc, ev.get(client, "/api/v1/refunds/R1").json(), "Refund")
    validate(doc, ev.get(client, "/api/v1/refunds/NOPE").json(), "Error")
