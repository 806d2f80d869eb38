"""The event contract of R80-R85, declared once: it parses incoming events and it writes the
OpenAPI document (R86), so the document cannot drift from what the code accepts."""

import base64
import binascii
import datetime as dt
from decimal import Decimal, InvalidOperation


class EventError(ValueError):
    """A per-event rejection with a clear message (R83)."""


def text_problem(value: str) -> str | None:
    """Why the database cannot store this text (NUL, lone surrogates from JSON escapes)."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text"
    return None


class Field:
    description = ""

    def parse(self, value, path: str):  # pragma: no cover - interface
        raise NotImplementedError

    def schema(self) -> dict:  # pragma: no cover - interface
        raise NotImplementedError


class Str(Field):
    def __init__(self, max_length=64, *, min_length=1, description=""):
        self.max_length, self.min_length, self.description = max_length, min_length, description

    def parse(self, value, path):
        if not isinstance(value, str):
            raise EventError(f"{path} must be a string")
        problem = text_problem(value)
        if problem:
            raise EventError(f"{path} {problem}")
        value = value.strip()
        if len(value) < self.min_length:
            raise EventError(f"{path} must not be empty")
        if len(value) > self.max_length:
            raise EventError(f"{path} is longer than {self.max_length} characters")
        return value

    def schema(self):
        return {"type": "string", "minLength": self.min_length, "maxLength": self.max_length}


class Text(Str):
    def __init__(self, max_length=2000, description=""):
        super().__init__(max_length, min_length=0, description=description)


class Int(Field):
    def __init__(self, minimum, maximum, description=""):
        self.minimum, self.maximum, self.description = minimum, maximum, description

    def parse(self, value, path):
        if isinstance(value, bool) or not isinstance(value, int):
            raise EventError(f"{path} must be an integer")
        if not self.minimum <= value <= self.maximum:
            raise EventError(f"{path} must be between {self.minimum} and {self.maximum}")
        return value

    def schema(self):
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


class Money(Field):
    """R1: a decimal string ("199.00") or number with at most 2 places; never rounded here."""

    description = 'CNY amount with at most 2 decimal places, as a string ("199.00") or number'

    def parse(self, value, path):
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            raise EventError(f'{path} must be a decimal amount such as "199.00"')
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise EventError(f'{path} must be a decimal amount such as "199.00"') from None
        if not amount.is_finite() or amount.as_tuple().exponent < -2:
            raise EventError(f"{path} must have at most 2 decimal places")
        if amount < 0:
            raise EventError(f"{path} must not be negative")
        if amount >= Decimal("1000000000000"):
            raise EventError(f"{path} is too large")
        return amount.quantize(Decimal("0.01"))

    def schema(self):
        return {"oneOf": [{"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"}, {"type": "number"}]}


class Time(Field):
    description = "ISO 8601 instant with a UTC offset, in the years 2000 to 2999"
    EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    LATEST = dt.datetime(3000, 1, 1, tzinfo=dt.UTC)  # deadlines are added to it: no overflow

    def parse(self, value, path):
        if not isinstance(value, str):
            raise EventError(f"{path} must be an ISO 8601 time with offset")
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise EventError(f"{path} must be an ISO 8601 time with offset") from None
        if parsed.tzinfo is None:
            raise EventError(f"{path} needs a UTC offset (e.g. +08:00 or Z)")
        try:
            parsed = parsed.astimezone(dt.UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
            parsed = None
        if parsed is None or not self.EARLIEST <= parsed < self.LATEST:
            raise EventError(f"{path} must be in the years 2000 to 2999")
        return parsed

    def schema(self):
        return {"type": "string", "format": "date-time"}


class Enum(Field):
    def __init__(self, values, description=""):
        self.values, self.description = list(values), description

    def parse(self, value, path):
        if value not in self.values:
            raise EventError(f"{path} must be one of {', '.join(self.values)}")
        return value

    def schema(self):
        return {"type": "string", "enum": self.values}


class Base64Bytes(Field):
    description = "file content, base64"

    def parse(self, value, path):
        if not isinstance(value, str):
            raise EventError(f"{path} must be base64 text")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise EventError(f"{path} is not valid base64") from None

    def schema(self):
        return {"type": "string", "contentEncoding": "base64"}


class Obj(Field):
    def __init__(self, fields: dict, optional=(), description=""):
        self.fields, self.optional, self.description = fields, set(optional), description

    def parse(self, value, path):
        if not isinstance(value, dict):
            raise EventError(f"{path} must be an object")
        parsed = {}
        for name, field in self.fields.items():
            sub = f"{path}.{name}" if path else name
            if name not in value or value[name] is None:
                if name in self.optional:
                    continue
                raise EventError(f"{sub} is required")
            parsed[name] = field.parse(value[name], sub)
        return parsed

    def schema(self):
        properties = {}
        for name, field in self.fields.items():
            properties[name] = field.schema()
            if field.description:
                properties[name]["description"] = field.description
        return {
            "type": "object",
            "required": [n for n in self.fields if n not in self.optional],
            "properties": properties,
        }


class List(Field):
    def __init__(self, item: Field, *, min_items=0, max_items=1000, description=""):
        self.item, self.min_items, self.max_items = item, min_items, max_items
        self.description = description

    def parse(self, value, path):
        if not isinstance(value, list):
            raise EventError(f"{path} must be a list")
        if not self.min_items <= len(value) <= self.max_items:
            raise EventError(
                f"{path} must have between {self.min_items} and {self.max_items} items"
            )
        return [self.item.parse(v, f"{path}[{i}]") for i, v in enumerate(value)]

    def schema(self):
        return {
            "type": "array",
            "items": self.item.schema(),
            "minItems": self.min_items,
            "maxItems": self.max_items,
        }


ID = Str(64)
KINDS = ["refund_only", "return_and_refund"]
REASONS = [
    "quality_issue",
    "not_as_described",
    "damaged_or_stained",
    "no_longer_needed",
    "wrong_size",
    "other",
]

# R84: the event types and their data fields.
EVENT_DATA = {
    "order.placed": Obj(
        {
            "order_id": ID,
            "shop_id": ID,
            "buyer": Obj({"id": ID, "credit_tier": Int(1, 5)}),
            "placed_at": Time(),
            "lines": List(
                Obj(
                    {
                        "line_id": ID,
                        "sku": ID,
                        "title": Str(300),
                        "quantity": Int(1, 100000),
                        "paid_amount": Money(),
                    }
                ),
                min_items=1,
                max_items=200,
            ),
        }
    ),
    "order.shipped": Obj({"order_id": ID, "shipped_at": Time()}),
    "order.received": Obj({"order_id": ID, "received_at": Time()}),
    "refund.requested": Obj(
        {
            "refund_id": ID,
            "order_id": ID,
            "line_id": ID,
            "kind": Enum(KINDS),
            "reason": Enum(
                REASONS,
                description="covered: quality_issue, not_as_described, damaged_or_stained",
            ),
            "amount": Money(),
            "description": Text(2000),
            "evidence": List(
                Obj({"filename": Str(200), "content_base64": Base64Bytes()}),
                max_items=9,
                description="JPEG, PNG or WebP images, at most 9, each at most 5 MB (R85)",
            ),
            "requested_at": Time(),
        },
        optional=("description", "evidence"),
    ),
    "refund.return_shipped": Obj(
        {"refund_id": ID, "carrier": Str(50), "tracking_number": Str(64), "shipped_at": Time()}
    ),
    "refund.cancelled": Obj({"refund_id": ID, "cancelled_at": Time()}),
}

# --- R114: the payment provider's payout results (issue 12) ---
# `payout_reference` is the reference of the payout's row in the bulk-transfer file.
PAYOUT_REFERENCE = Str(40, description="the reference of the payout's row in the batch file")
PROVIDER_REFERENCE = Str(100, description="the provider's own reference of the transfer")
EVENT_DATA["payout.settled"] = Obj(
    {"payout_reference": PAYOUT_REFERENCE, "provider_reference": PROVIDER_REFERENCE}
)
EVENT_DATA["payout.failed"] = Obj(
    {
        "payout_reference": PAYOUT_REFERENCE,
        "provider_reference": PROVIDER_REFERENCE,
        "reason": Str(300, description="why the provider refused it (e.g. account closed)"),
    }
)
# --- end of R114 ---

ENVELOPE = Obj(
    {
        "id": Str(100),
        "type": Enum(list(EVENT_DATA)),
        "occurred_at": Time(),
        "data": Obj({}),
    }
)


def parse_event(raw) -> tuple[str, str, dt.datetime, dict]:
    """(id, type, occurred_at, parsed data) or EventError."""
    if not isinstance(raw, dict):
        raise EventError("an event must be an object with id, type, occurred_at and data")
    envelope = ENVELOPE.parse(raw, "")
    data = EVENT_DATA[envelope["type"]].parse(raw["data"], "data")
    return envelope["id"], envelope["type"], envelope["occurred_at"], data
