"""R111: which change makes which message, and its data (declared in outbox.types).

Each builder takes the announced changes of one kind (portal.changes), in order, and returns
one `Draft` per message. Rows the set-based paths announce by primary key are read here, in
one query per kind; instances are used as they are. The messages that say only a claim's
platform ids, kind and payout (claim.closed, claim.refund_due, buyer.compensation,
merchant.breach) are built from a `claims.claim_rows.ClaimRow`, which the deadline sweep
announces straight from its own set-based reads, never loading the claims as models.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from claims.claim_rows import ClaimRow
from claims.models import (
    BREACH_POINTS_PER_SUB_ORDER,
    BUYER_SHIPPING_COMPENSATION,
    Buyer,
    Claim,
    ClaimState,
    Policy,
    RefundKind,
)
from outbox.types import MessageType, check_data
from portal.changes import Change

NAMESPACE = uuid.UUID("6f1d0c52-3d55-4d0c-9d1e-7a1f2b0c9e11")  # the portal's message ids


@dataclass(frozen=True, slots=True)
class Draft:
    type: str
    natural_key: str  # what the message is about, once: its id is derived from it (R112)
    key: str  # ordering key: refund:<id>, order:<id>, buyer:<id>
    refund_id: str
    occurred_at: object
    data: dict
    message_id: uuid.UUID = field(init=False)  # derived once (the row and its body both say it)

    def __post_init__(self):
        object.__setattr__(
            self, "message_id", uuid.uuid5(NAMESPACE, f"{self.type}/{self.natural_key}")
        )


def _time(value):
    return timezone.localtime(value).isoformat() if value else None


def _money(value) -> str:
    return f"{value:.2f}"


def _draft(message_type, natural_key, key, occurred_at, data, refund_id="") -> Draft:
    return Draft(
        message_type, natural_key, key, refund_id, occurred_at, check_data(message_type, data)
    )


# --- claims ---

CLAIM_RELATED = ("refund", "line", "buyer")


def _claims(changes: list[Change]) -> list[tuple[Change, Claim]]:
    """Each change with its claim (read once for the changes announced by primary key)."""
    wanted = [c.obj for c in changes if isinstance(c.obj, int)]
    loaded = Claim.objects.select_related(*CLAIM_RELATED).in_bulk(wanted) if wanted else {}
    return [(c, loaded[c.obj] if isinstance(c.obj, int) else c.obj) for c in changes]


def _claim_rows(changes: list[Change]) -> list[tuple[Change, ClaimRow]]:
    """Each change with its claim's row: as announced, or from its instance."""
    return [
        (change, claim if isinstance(claim, ClaimRow) else ClaimRow.of(claim))
        for change, claim in _claims(changes)
    ]


def _about(refund_id: str, message_type, data: dict, change: Change, suffix: str = "") -> Draft:
    return _draft(
        message_type,
        f"{refund_id}{suffix}",
        f"refund:{refund_id}",
        change.at,
        {"refund_id": refund_id, **data},
        refund_id=refund_id,
    )


def claim_decided(changes: list[Change]) -> list[Draft]:
    """R32/R33/R39: approve_refund, approve_return, reject."""
    drafts = []
    for change, claim in _claims(changes):
        rejected = change.name == "reject"
        by_system = change.by is None
        if rejected:
            reason = claim.rejection_reason
        else:
            reason = claim.decision_rule if by_system else change.note
        returning = not rejected and claim.kind == RefundKind.RETURN_AND_REFUND
        data = {
            "decision": "rejected" if rejected else "approved",
            "reason": reason or "",
            "decided_by": "system" if by_system else "reviewer",
            "return_address": claim.return_address if returning else None,
            "return_due_at": _time(claim.return_due_at) if returning else None,
        }
        refund_id = claim.refund.platform_refund_id
        drafts.append(_about(refund_id, MessageType.CLAIM_DECIDED, data, change))
    return drafts


def claim_closed(changes: list[Change]) -> list[Draft]:
    """R33/R34/R41: close_timeout, uphold_refusal, cancel (one message per closing state)."""
    return [
        _about(
            claim.refund_id,
            MessageType.CLAIM_CLOSED,
            {"state": claim_state(change)},
            change,
            f"/{claim_state(change)}",
        )
        for change, claim in _claim_rows(changes)
    ]


CLOSING = {
    "close_timeout": ClaimState.CLOSED_TIMEOUT,
    "uphold_refusal": ClaimState.CLOSED_REFUSED,
    "cancel": ClaimState.CANCELLED,
}


def claim_state(change: Change) -> str:
    return str(CLOSING[change.name])


def refund_completed(changes: list[Change]) -> list[Draft]:
    """R35: the merchant refunds the buyer now; R37: the buyer of a return gets 10.00."""
    drafts = []
    for change, claim in _claim_rows(changes):
        amount = {"amount": _money(claim.payable)}  # R36
        drafts.append(_about(claim.refund_id, MessageType.CLAIM_REFUND_DUE, amount, change))
        if claim.kind == RefundKind.RETURN_AND_REFUND:
            data = {"buyer_id": claim.buyer_id, "amount": _money(BUYER_SHIPPING_COMPENSATION)}
            drafts.append(_about(claim.refund_id, MessageType.BUYER_COMPENSATION, data, change))
    return drafts


def breach_recorded(changes: list[Change]) -> list[Draft]:
    """R38: 10,000 points to the buyer, per sub-order (a claim is on one)."""
    return [
        _about(
            claim.refund_id,
            MessageType.MERCHANT_BREACH,
            {
                "line_id": claim.line_id,
                "buyer_id": claim.buyer_id,
                "points": BREACH_POINTS_PER_SUB_ORDER,
            },
            change,
        )
        for change, claim in _claim_rows(changes)
    ]


# --- policies and buyers ---


def _policy(policy: Policy, order_id: str, at, suffix: str) -> Draft:
    data = {
        "order_id": order_id,
        "policy_no": policy.policy_no,
        "premium": _money(policy.premium),
        "rate": f"{policy.rate:.4f}",
        "coverage_start": _time(policy.coverage_start),
        "coverage_end": _time(policy.coverage_end),
    }
    return _draft(
        MessageType.POLICY_ISSUED, f"{policy.policy_no}{suffix}", f"order:{order_id}", at, data
    )


def policy_issued(changes: list[Change]) -> list[Draft]:
    """R21: at shipment (the coverage is not known yet)."""
    return [_policy(c.obj, c.obj.order.platform_order_id, c.at, "") for c in changes]


def order_received(changes: list[Change]) -> list[Draft]:
    """R23: the receipt starts the insured order's coverage: its policy again, with it."""
    policies = Policy.objects.select_related("order").in_bulk(
        [c.pk for c in changes], field_name="order_id"
    )
    return [
        _policy(policies[c.pk], policies[c.pk].order.platform_order_id, c.at, "/coverage")
        for c in changes
        if c.pk in policies
    ]


def eligibility_revoked(changes: list[Change]) -> list[Draft]:
    """R62."""
    drafts = []
    for change in changes:
        buyer: Buyer = change.obj
        data = {"buyer_id": buyer.platform_buyer_id, "reason": buyer.revoke_reason}
        natural = f"{buyer.platform_buyer_id}/{change.at.isoformat()}"
        key = f"buyer:{buyer.platform_buyer_id}"
        drafts.append(_draft(MessageType.BUYER_ELIGIBILITY_REVOKED, natural, key, change.at, data))
    return drafts


BUILDERS: dict[tuple[str, str], Callable[[list[Change]], list[Draft]]] = {
    ("claims.claim", "approve_refund"): claim_decided,
    ("claims.claim", "approve_return"): claim_decided,
    ("claims.claim", "reject"): claim_decided,
    ("claims.claim", "close_timeout"): claim_closed,
    ("claims.claim", "uphold_refusal"): claim_closed,
    ("claims.claim", "cancel"): claim_closed,
    ("claims.claim", "complete_refund"): refund_completed,
    ("claims.claim", "breach"): breach_recorded,
    ("claims.policy", "issue"): policy_issued,
    ("claims.order", "receive"): order_received,
    ("claims.buyer", "revoke"): eligibility_revoked,
}
