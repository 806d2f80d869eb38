"""R86: the OpenAPI 3.1 description of the platform API, generated from the same declarations
that parse the events (platform_api.schemas), so the two cannot disagree."""

from claims.models import ClaimState, NotCoveredReason, PolicyStatus
from outbox.openapi import add_callbacks, signature_headers
from platform_api.schemas import ENVELOPE, EVENT_DATA

SECURITY_DESCRIPTION = (
    "Every request carries `X-Platform-Timestamp` (Unix seconds, within 300 s of the server's "
    "clock) and `X-Platform-Signature: sha256=<hex>`, the HMAC-SHA256 with the shared secret "
    'of `"<timestamp>.<raw body>"` for POST and `"<timestamp>.<path with query string>"` '
    "for GET. A wrong or missing signature is a 401 and nothing is stored (R81)."
)

TIME = {"type": ["string", "null"], "format": "date-time"}
MONEY_OUT = {"type": ["string", "null"], "pattern": r"^\d+\.\d{2}$"}


def _event_schema(event_type: str) -> dict:
    envelope = ENVELOPE.schema()
    envelope["properties"]["type"] = {"const": event_type}
    envelope["properties"]["data"] = EVENT_DATA[event_type].schema()
    envelope["title"] = event_type
    return envelope


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _object(properties: dict, required: list | None = None) -> dict:
    """A JSON object; every property required unless `required` says which."""
    return {
        "type": "object",
        "required": list(properties) if required is None else required,
        "properties": properties,
    }


def _nullable(schema: dict) -> dict:
    return {"oneOf": [{"type": "null"}, schema]}


def _error(description):
    return {"description": description, "content": _json(_ref("Error"))}


# --- components/schemas ---


def _batch_schemas() -> dict:
    """An event (one of the event types), a batch of them, and the results (R80-R85)."""
    return {
        "Event": {"oneOf": [_ref(t) for t in EVENT_DATA]},
        "Batch": _object({"events": {"type": "array", "items": _ref("Event"), "maxItems": 1000}}),
        "Result": _object(
            {
                "id": {"type": ["string", "null"]},
                "status": {"enum": ["applied", "duplicate", "rejected"]},
                "error": {"type": "string"},
            },
            required=["id", "status"],
        ),
        "Results": _object({"results": {"type": "array", "items": _ref("Result")}}),
        "Error": _object({"error": {"type": "string"}}),
    }


def _order_schema() -> dict:
    """R87: an order's insurance and its policy (R24's status)."""
    policy = _object(
        {
            "policy_no": {"type": "string"},
            "premium": MONEY_OUT,
            "rate": {"type": "string", "pattern": r"^\d+\.\d{4}$"},
            "issued_at": TIME,
            "coverage_start": TIME,
            "coverage_end": TIME,
            "status": {"enum": list(PolicyStatus.values)},
        }
    )
    return _object(
        {
            "order_id": {"type": "string"},
            "shop_id": {"type": "string"},
            "insured": {"type": "boolean"},
            "policy": _nullable(policy),
        }
    )


def _refund_schema() -> dict:
    """R87: a refund's coverage (R30, R44) and its claim (R41's states)."""
    claim = _object(
        {
            "state": {"enum": list(ClaimState.values)},
            "review_due_at": TIME,
            "return_due_at": TIME,
            "return_address": {"type": ["string", "null"]},
            "payable_cap": MONEY_OUT,
            "payout_amount": MONEY_OUT,
            "buyer_compensation": MONEY_OUT,
            "decided_by": {"enum": [None, "reviewer", "system"]},
        }
    )
    return _object(
        {
            "refund_id": {"type": "string"},
            "order_id": {"type": "string"},
            "line_id": {"type": "string"},
            "covered": {"type": "boolean"},
            "not_covered_reason": {"enum": [None, *NotCoveredReason.values]},
            "claim": _nullable(claim),
        }
    )


def _schemas() -> dict:
    return {
        **{t: _event_schema(t) for t in EVENT_DATA},
        **_batch_schemas(),
        "Order": _order_schema(),
        "Refund": _refund_schema(),
    }


# --- paths ---


def _events_path() -> dict:
    return {
        "post": {
            "operationId": "postEvents",
            "summary": "Apply one event or a batch of up to 1,000 (R80-R85)",
            "parameters": signature_headers("X-Platform"),
            "requestBody": {
                "required": True,
                "content": _json({"oneOf": [_ref("Event"), _ref("Batch")]}),
            },
            "responses": {
                "200": {
                    "description": "one result per event, in order",
                    "content": _json(_ref("Results")),
                },
                "400": _error("malformed JSON, or more than 1,000 events"),
                "401": _error("missing or wrong signature, or timestamp off by > 300 s"),
                "413": _error("body over the size limit"),
            },
        }
    }


def _read_path(*, operation_id: str, summary: str, key: str, schema: str, noun: str) -> dict:
    """A GET of one record by its platform id (R87): the record, 401 or 404."""
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": [
                *signature_headers("X-Platform"),
                {"name": key, "in": "path", "required": True, "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {"description": f"the {noun}", "content": _json(_ref(schema))},
                "401": _error("missing or wrong signature"),
                "404": _error(f"unknown {noun}"),
            },
        }
    }


def _paths() -> dict:
    return {
        "/api/v1/events": _events_path(),
        "/api/v1/orders/{order_id}": _read_path(
            operation_id="getOrder",
            summary="An order's insurance and policy (R87)",
            key="order_id",
            schema="Order",
            noun="order",
        ),
        "/api/v1/refunds/{refund_id}": _read_path(
            operation_id="getRefund",
            summary="A refund's coverage and claim (R87)",
            key="refund_id",
            schema="Refund",
            noun="refund",
        ),
    }


def openapi_document() -> dict:
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Warranty+ platform event API",
            "version": "1",
            "description": "How the marketplace reports orders and refunds to the 30-day quality "
            "warranty+ portal and reads the outcomes back (SPEC R80-R87). " + SECURITY_DESCRIPTION,
        },
        "paths": _paths(),
        "components": {"schemas": _schemas()},
    }
    return add_callbacks(document)  # R110-R111: the portal's callbacks (outbox.openapi)
