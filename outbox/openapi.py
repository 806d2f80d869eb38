"""R86/R110/R111: the callbacks the portal posts to the marketplace, for the served OpenAPI
document (OpenAPI 3.1 `webhooks`), generated from the declarations the messages are built
and checked against (outbox.types)."""

from outbox.types import DATA, MessageType, data_schema

SIGNING = (
    "The portal POSTs each message to `PLATFORM_CALLBACK_URL` with `X-Warranty-Timestamp` "
    "(Unix seconds) and `X-Warranty-Signature: sha256=<hex>`, the HMAC-SHA256 with "
    '`PLATFORM_CALLBACK_SECRET` of `"<timestamp>.<raw body>"` (the mirror of R81). A 2xx '
    "answer means delivered; anything else, a timeout or a refused connection is retried "
    "with exponential backoff and jitter for 3 days (R113), with the same body and the same "
    "`id`: deduplicate by it. Messages about one refund arrive in the order they happened "
    "(a later one waits until the earlier ones are delivered, R112)."
)


def _name(message_type: str) -> str:
    return f"Callback.{message_type}"


def _envelope(message_type: str) -> dict:
    return {
        "title": message_type,
        "type": "object",
        "required": ["id", "type", "occurred_at", "data"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "format": "uuid", "description": "stable: deduplicate"},
            "type": {"const": message_type},
            "occurred_at": {"type": "string", "format": "date-time"},
            "data": data_schema(message_type),
        },
    }


def signature_headers(prefix: str) -> list[dict]:
    """The two headers of a signed request, `<prefix>-Timestamp` (Unix seconds) and
    `<prefix>-Signature: sha256=<hex>`: the portal's callbacks (R110) and, mirrored, the
    platform's events (R81)."""
    return [
        {
            "name": f"{prefix}-Timestamp",
            "in": "header",
            "required": True,
            "schema": {"type": "string", "pattern": r"^\d+$"},
        },
        {
            "name": f"{prefix}-Signature",
            "in": "header",
            "required": True,
            "schema": {"type": "string", "pattern": r"^sha256=[0-9a-f]{64}$"},
        },
    ]


def _webhook(message_type: str) -> dict:
    return {
        "post": {
            "operationId": f"callback_{message_type.replace('.', '_')}",
            "summary": str(MessageType(message_type).label),
            "description": DATA[message_type][1] + " " + SIGNING,
            "parameters": signature_headers("X-Warranty"),
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{_name(message_type)}"}
                    }
                },
            },
            "responses": {
                "2XX": {"description": "delivered"},
                "default": {"description": "not delivered: retried later (R113)"},
            },
        }
    }


def add_callbacks(document: dict) -> dict:
    """The document with the callbacks: one webhook per R111 type, its envelope a schema."""
    document["webhooks"] = {t: _webhook(t) for t in DATA}
    document["components"]["schemas"].update({_name(t): _envelope(t) for t in DATA})
    document["info"]["description"] += " Callbacks to the marketplace (R110-R113): " + SIGNING
    return document
