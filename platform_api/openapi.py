"""R86: the OpenAPI 3.1 description of the platform API, generated from the same declarations
that parse the events (platform_api.schemas), so the two cannot disagree."""

from claims.models import ClaimState, NotCoveredReason, PolicyStatus
from outbox.openapi import add_callbacks
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


def _headers():
    return [
        {
            "name": "X-Platform-Timestamp",
            "in": "header",
            "required": True,
            "schema": {"type": "string", "pattern": r"^\d+$"},
        },
        {
            "name": "X-Platform-Signature",
            "in": "header",
            "required": True,
            "schema": {"type": "string", "pattern": r"^sha256=[0-9a-f]{64}$"},
        },
    ]


def _error(description):
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def openapi_document() -> dict:
    event_refs = [{"$ref": f"#/components/schemas/{t}"} for t in EVENT_DATA]
    schemas = {t: _event_schema(t) for t in EVENT_DATA}
    schemas["Event"] = {"oneOf": event_refs}
    schemas["Batch"] = {
        "type": "object",
        "required": ["events"],
        "properties": {
            "events": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Event"},
                "maxItems": 1000,
            }
        },
    }
    schemas["Result"] = {
        "type": "object",
        "required": ["id", "status"],
        "properties": {
            "id": {"type": ["string", "null"]},
            "status": {"enum": ["applied", "duplicate", "rejected"]},
            "error": {"type": "string"},
        },
    }
    schemas["Results"] = {
        "type": "object",
        "required": ["results"],
        "properties": {
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Result"}}
        },
    }
    schemas["Error"] = {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}},
    }
    schemas["Order"] = {
        "type": "object",
        "required": ["order_id", "shop_id", "insured", "policy"],
        "properties": {
            "order_id": {"type": "string"},
            "shop_id": {"type": "string"},
            "insured": {"type": "boolean"},
            "policy": {
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "required": [
                            "policy_no",
                            "premium",
                            "rate",
                            "issued_at",
                            "coverage_start",
                            "coverage_end",
                            "status",
                        ],
                        "properties": {
                            "policy_no": {"type": "string"},
                            "premium": MONEY_OUT,
                            "rate": {"type": "string", "pattern": r"^\d+\.\d{4}$"},
                            "issued_at": TIME,
                            "coverage_start": TIME,
                            "coverage_end": TIME,
                            "status": {"enum": list(PolicyStatus.values)},
                        },
                    },
                ]
            },
        },
    }
    schemas["Refund"] = {
        "type": "object",
        "required": ["refund_id", "order_id", "line_id", "covered", "not_covered_reason", "claim"],
        "properties": {
            "refund_id": {"type": "string"},
            "order_id": {"type": "string"},
            "line_id": {"type": "string"},
            "covered": {"type": "boolean"},
            "not_covered_reason": {"enum": [None, *NotCoveredReason.values]},
            "claim": {
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "required": [
                            "state",
                            "review_due_at",
                            "return_due_at",
                            "return_address",
                            "payable_cap",
                            "payout_amount",
                            "buyer_compensation",
                            "decided_by",
                        ],
                        "properties": {
                            "state": {"enum": list(ClaimState.values)},
                            "review_due_at": TIME,
                            "return_due_at": TIME,
                            "return_address": {"type": ["string", "null"]},
                            "payable_cap": MONEY_OUT,
                            "payout_amount": MONEY_OUT,
                            "buyer_compensation": MONEY_OUT,
                            "decided_by": {"enum": [None, "reviewer", "system"]},
                        },
                    },
                ]
            },
        },
    }
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Warranty+ platform event API",
            "version": "1",
            "description": "How the marketplace reports orders and refunds to the 30-day quality "
            "warranty+ portal and reads the outcomes back (SPEC R80-R87). " + SECURITY_DESCRIPTION,
        },
        "paths": {
            "/api/v1/events": {
                "post": {
                    "operationId": "postEvents",
                    "summary": "Apply one event or a batch of up to 1,000 (R80-R85)",
                    "parameters": _headers(),
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": "#/components/schemas/Event"},
                                        {"$ref": "#/components/schemas/Batch"},
                                    ]
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "one result per event, in order",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Results"}
                                }
                            },
                        },
                        "400": _error("malformed JSON, or more than 1,000 events"),
                        "401": _error("missing or wrong signature, or timestamp off by > 300 s"),
                        "413": _error("body over the size limit"),
                    },
                }
            },
            "/api/v1/orders/{order_id}": {
                "get": {
                    "operationId": "getOrder",
                    "summary": "An order's insurance and policy (R87)",
                    "parameters": [
                        *_headers(),
                        {
                            "name": "order_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "the order",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Order"}
                                }
                            },
                        },
                        "401": _error("missing or wrong signature"),
                        "404": _error("unknown order"),
                    },
                }
            },
            "/api/v1/refunds/{refund_id}": {
                "get": {
                    "operationId": "getRefund",
                    "summary": "A refund's coverage and claim (R87)",
                    "parameters": [
                        *_headers(),
                        {
                            "name": "refund_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "the refund",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Refund"}
                                }
                            },
                        },
                        "401": _error("missing or wrong signature"),
                        "404": _error("unknown refund"),
                    },
                }
            },
        },
        "components": {"schemas": schemas},
    }
    return add_callbacks(document)  # R110-R111: the portal's callbacks (outbox.openapi)
