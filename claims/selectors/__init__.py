"""Reads of the claims app (selectors; writes go through `claims.services`):

- `queue`: the insurer's: the review queue (R32), a buyer's history across shops (R61);
- `merchant`: the merchant's, each scoped to the merchant's shop (R100): policies, refund
  requests, claims, payouts, buyer feedback, service breaches;
- `figures`: the merchant figures read from the rollups (issue 10): the dashboard, the
  payouts' months, the risk model's window (R51).

Import from here (`from claims import selectors; selectors.claim_queue(...)`): every public
name is re-exported.
"""

from claims.selectors.figures import (
    ShopFigures,
    payout_months,
    shop_figures,
    shop_window,
)
from claims.selectors.merchant import (
    CLAIM_PAGE,
    POLICY_PAGE,
    BuyerRef,
    OrderRef,
    PayoutRow,
    Photo,
    PolicyRow,
    breach_counts,
    breaches_for_shop,
    claim_photos,
    claims_awaiting_merchant,
    claims_awaiting_merchant_first,
    feedback_for_shop,
    payout_list_columns,
    payout_rows,
    payouts_for_shop,
    policies_for_shop,
    policies_to_count,
    policy_list_columns,
    policy_page_claims,
    policy_page_lines,
    policy_rows,
    refund_list_columns,
    refund_rows,
    refunds_for_shop,
    refunds_to_count,
)
from claims.selectors.queue import (
    BuyerHistory,
    buyer_history,
    claim_queue,
)

__all__ = [
    "CLAIM_PAGE",
    "POLICY_PAGE",
    "BuyerHistory",
    "BuyerRef",
    "OrderRef",
    "Photo",
    "PolicyRow",
    "ShopFigures",
    "breach_counts",
    "breaches_for_shop",
    "claim_photos",
    "buyer_history",
    "claim_queue",
    "claims_awaiting_merchant",
    "claims_awaiting_merchant_first",
    "feedback_for_shop",
    "payout_months",
    "PayoutRow",
    "payout_list_columns",
    "payout_rows",
    "refund_list_columns",
    "refund_rows",
    "payouts_for_shop",
    "policies_for_shop",
    "policies_to_count",
    "policy_page_claims",
    "policy_page_lines",
    "policy_list_columns",
    "policy_rows",
    "refunds_for_shop",
    "refunds_to_count",
    "shop_figures",
    "shop_window",
]
