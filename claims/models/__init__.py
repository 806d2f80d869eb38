"""The claims app's models: orders, policies, refund requests, claims, payouts and buyers.

Rules R20-R44, R60-R62 and R114. Models hold fields, constraints and FSM transitions (guards
and field assignments only); every write goes through `claims.services`. One module per
aggregate, each importing only those before it in this list:

- `rules`: the fixed figures and permission names (R1, R23, R36-R38, R62);
- `claim_settings`: the insurer's settings of the process (R39);
- `buyers`: buyers, their eligibility (R62), the merchants' reports of buyers (R60);
- `orders`: orders, sub-orders and policies (R20-R24);
- `refunds`: every refund request, covered or not (R30, R44);
- `claim`: the claim and its R41 state machine;
- `outcomes`: payouts and their provider FSM (R35, R36, R114), the buyer's 10.00 (R37),
  service breaches (R38);
- `evidence`: evidence images (R85, R102);
- `rollups`: the per-shop rollup tables of the merchant figures (issue 10, `claims.rollups`).

Import from here (`from claims.models import Claim`): every public name is re-exported.
"""

from claims.models.buyers import Buyer, BuyerFeedback, Eligibility, FeedbackCategory, FeedbackState
from claims.models.claim import (
    CLAIM_QUEUE_RANK,
    CLOSED_CLAIM_STATES,
    OPEN_CLAIM_STATES,
    Claim,
    ClaimState,
    RefusalGround,
)
from claims.models.claim_settings import ClaimSettings
from claims.models.evidence import Evidence, EvidenceKind, evidence_path
from claims.models.orders import (
    Order,
    OrderLine,
    Policy,
    PolicyClaimStatus,
    PolicyStatus,
    policy_claim_status,
)
from claims.models.outcomes import (
    PAYOUT_PERMISSION,
    BreachCause,
    BreachState,
    BuyerCompensation,
    Payout,
    PayoutState,
    ServiceBreach,
)
from claims.models.refunds import (
    COVERED_REASONS,
    NotCoveredReason,
    RefundKind,
    RefundReason,
    RefundRequest,
    RefundState,
)
from claims.models.rollups import ShopClaimState, ShopDay, ShopDayReason
from claims.models.rules import (
    BREACH_PERMISSION,
    BREACH_POINTS_PER_SUB_ORDER,
    BUYER_PERMISSION,
    BUYER_SHIPPING_COMPENSATION,
    COVERAGE_HOURS,
    MONEY,
    RETURN_SHIPPING,
    REVIEW_PERMISSION,
)

__all__ = [
    "BREACH_PERMISSION",
    "BREACH_POINTS_PER_SUB_ORDER",
    "BUYER_PERMISSION",
    "BUYER_SHIPPING_COMPENSATION",
    "CLAIM_QUEUE_RANK",
    "CLOSED_CLAIM_STATES",
    "COVERAGE_HOURS",
    "COVERED_REASONS",
    "MONEY",
    "OPEN_CLAIM_STATES",
    "PAYOUT_PERMISSION",
    "RETURN_SHIPPING",
    "REVIEW_PERMISSION",
    "BreachCause",
    "BreachState",
    "Buyer",
    "BuyerCompensation",
    "BuyerFeedback",
    "Claim",
    "ClaimSettings",
    "ClaimState",
    "Eligibility",
    "Evidence",
    "EvidenceKind",
    "FeedbackCategory",
    "FeedbackState",
    "NotCoveredReason",
    "Order",
    "OrderLine",
    "Payout",
    "PayoutState",
    "Policy",
    "PolicyClaimStatus",
    "PolicyStatus",
    "RefundKind",
    "RefundReason",
    "RefundRequest",
    "RefundState",
    "RefusalGround",
    "ServiceBreach",
    "ShopClaimState",
    "ShopDay",
    "ShopDayReason",
    "evidence_path",  # the migrations' upload_to (claims.models.evidence_path)
    "policy_claim_status",
]
