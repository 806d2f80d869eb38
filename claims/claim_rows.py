"""A claim as the marketplace's messages about its closing, refund and breach name it (R111).

The deadline sweep settles thousands of claims in a few statements (claims.services.sweep)
and announces them (portal.changes) as these rows, not as model instances: their kind, payout
and deadline come from its own RETURNING rows, their platform ids from one values_list
(`claim_platform_ids`). The outbox builds the same messages from a row as from an instance
(outbox.payloads; `ClaimRow.of`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from claims.models import Claim


@dataclass(frozen=True, slots=True)
class ClaimRow:
    pk: int
    shop_id: int  # whose merchants are told (notifications), from the same RETURNING row
    refund_id: str  # the platform's ids (R80)
    line_id: str
    buyer_id: str
    kind: str  # RefundKind
    payable: Decimal  # R36: min(amount, payable cap), Claim.payable

    @classmethod
    def of(cls, claim: Claim) -> "ClaimRow":
        return cls(
            claim.pk,
            claim.shop_id,
            claim.refund.platform_refund_id,
            claim.line.platform_line_id,
            claim.buyer.platform_buyer_id,
            claim.kind,
            claim.payable,
        )


PLATFORM_IDS = ["refund__platform_refund_id", "line__platform_line_id", "buyer__platform_buyer_id"]


def claim_platform_ids(ids: Iterable[int]) -> dict[int, tuple[str, str, str]]:
    """claim id -> its (refund, sub-order, buyer) platform ids, in one query."""
    rows = Claim.objects.filter(pk__any=list(ids)).values_list("pk", *PLATFORM_IDS)
    return {pk: (refund_id, line_id, buyer_id) for pk, refund_id, line_id, buyer_id in rows}
