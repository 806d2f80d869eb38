"""The claims process's fixed figures and permission names (R1, R23, R36-R38, R62).

Each model module takes what it needs from here; `claims.models` re-exports them all.
"""

from decimal import Decimal

MONEY = {"max_digits": 14, "decimal_places": 2}  # R1
RETURN_SHIPPING = Decimal("10.00")  # R36: fixed return shipping added to the payout cap
BUYER_SHIPPING_COMPENSATION = Decimal("10.00")  # R37
BREACH_POINTS_PER_SUB_ORDER = 10_000  # R38
COVERAGE_HOURS = 720  # R23
REVIEW_PERMISSION = "claims.decide_claim"
BUYER_PERMISSION = "claims.change_buyer"  # R62: revoke a buyer's eligibility
BREACH_PERMISSION = "claims.change_servicebreach"  # R38: mark the points granted
