"""R111: the message types and their data fields, declared once.

The builders (outbox.payloads) check every message's data against these declarations when
they make it, and the served OpenAPI document (platform_api.openapi) describes the callbacks
from them, so the document and the messages cannot disagree (R86).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from claims.models import BREACH_POINTS_PER_SUB_ORDER, ClaimState

STRING = {"type": "string"}
MONEY = {"type": "string", "pattern": r"^\d+\.\d{2}$"}  # as in R87
RATE = {"type": "string", "pattern": r"^\d+\.\d{4}$"}
TIME = {"type": "string", "format": "date-time"}  # ISO 8601 with offset (R87)


def nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


class MessageType(models.TextChoices):
    POLICY_ISSUED = "policy.issued", _("Policy issued")
    CLAIM_DECIDED = "claim.decided", _("Claim decided")
    CLAIM_CLOSED = "claim.closed", _("Claim closed")
    CLAIM_REFUND_DUE = "claim.refund_due", _("Refund due")
    BUYER_COMPENSATION = "buyer.compensation", _("Buyer compensation")
    MERCHANT_BREACH = "merchant.breach", _("Merchant breach")
    BUYER_ELIGIBILITY_REVOKED = "buyer.eligibility_revoked", _("Buyer eligibility revoked")


CLOSED_STATES = [ClaimState.CLOSED_TIMEOUT, ClaimState.CLOSED_REFUSED, ClaimState.CANCELLED]

# type -> (data fields and their JSON schema: all required, description)
DATA: dict[str, tuple[dict[str, dict], str]] = {
    MessageType.POLICY_ISSUED: (
        {
            "order_id": STRING,
            "policy_no": STRING,
            "premium": MONEY,
            "rate": RATE,
            "coverage_start": nullable(TIME),
            "coverage_end": nullable(TIME),
        },
        "R21-R23: the order's policy, sent when it is issued (at shipment; coverage null) and "
        "again, under a new id, once the buyer's receipt starts the coverage window.",
    ),
    MessageType.CLAIM_DECIDED: (
        {
            "refund_id": STRING,
            "decision": {"enum": ["approved", "rejected"]},
            "reason": STRING,
            "decided_by": {"enum": ["reviewer", "system"]},
            "return_address": nullable(STRING),
            "return_due_at": nullable(TIME),
        },
        "R32/R33/R39: the insurer agreed (or declined) the refund on the merchant's behalf; "
        "for an approved return, the address the buyer ships to and the deadline.",
    ),
    MessageType.CLAIM_CLOSED: (
        {"refund_id": STRING, "state": {"enum": [str(s) for s in CLOSED_STATES]}},
        "R33/R34/R41: the claim closed with no payout.",
    ),
    MessageType.CLAIM_REFUND_DUE: (
        {"refund_id": STRING, "amount": MONEY},
        "R35: the refund completes: the merchant must refund the buyer this amount now.",
    ),
    MessageType.BUYER_COMPENSATION: (
        {"refund_id": STRING, "buyer_id": STRING, "amount": MONEY},
        "R37: the buyer of a completed return gets 10.00 for shipping.",
    ),
    MessageType.MERCHANT_BREACH: (
        {
            "refund_id": STRING,
            "line_id": STRING,
            "buyer_id": STRING,
            "points": {"type": "integer", "const": BREACH_POINTS_PER_SUB_ORDER},
        },
        "R38: the merchant did not perform the service: the buyer gets 10,000 points.",
    ),
    MessageType.BUYER_ELIGIBILITY_REVOKED: (
        {"buyer_id": STRING, "reason": STRING},
        "R62: the buyer's later refund requests stay with the merchant.",
    ),
}

# R101: whose area each type is in the admin (finance: money; reviewers: claims and buyers)
FINANCE_TYPES = [
    MessageType.POLICY_ISSUED,
    MessageType.CLAIM_REFUND_DUE,
    MessageType.BUYER_COMPENSATION,
]
REVIEWER_TYPES = [
    MessageType.CLAIM_DECIDED,
    MessageType.CLAIM_CLOSED,
    MessageType.MERCHANT_BREACH,
    MessageType.BUYER_ELIGIBILITY_REVOKED,
]


def data_schema(message_type: str) -> dict:
    fields, description = DATA[message_type]
    return {
        "type": "object",
        "description": description,
        "required": list(fields),
        "additionalProperties": False,
        "properties": fields,
    }


def check_data(message_type: str, data: dict) -> dict:
    """The data carries exactly the declared fields (a programming error otherwise)."""
    declared = DATA[message_type][0]
    if data.keys() != declared.keys():
        raise AssertionError(f"{message_type}: fields {sorted(data)} != {sorted(declared)}")
    return data
