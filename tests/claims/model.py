"""The reference model of the claims engine (issue 9), for tests/claims/test_model_based.py.

Plain Python dicts, no Django: what the rules R30-R42 and R90-R91 say should happen to each
refund request and claim, and the money each shop should see. Every method predicts one
action and changes the model only when the action is accepted; it answers the expected
result (True / False for a service, "applied" / "rejected" for a platform event).

The rules as the team implements them (issue 9):
- R30: a request is covered iff the order has a policy, received_at <= requested_at <=
  received_at + 720 h, and the reason is a covered one (buyers are always eligible here).
  Every request with amount > 0 is recorded, above the line's paid amount too. A covered
  request on a line that has a live claim (open or paid) is rejected and recorded nowhere.
- R36/R37: payout = min(amount, line paid + 10.00), only at `paid`; a paid return pays the
  buyer 10.00; a refund-only approval runs approved -> refunded -> paid at once.
- R33: deadlines are judged by the action's own time: review_due = submitted + 24 h,
  return_due = decision + 7 days; a return shipped at or before return_due is accepted
  while awaiting_return and also after the sweep closed the claim (it reopens); one
  shipped later is rejected. Where the two rules meet (the claim closed, then a new claim
  on the same sub-order was accepted), R42 wins: the late-reported shipment is rejected,
  with a clear error (R83), not as a transient conflict to send again.
  receipt_due = max(shipped_at, reported_at) + 10 days.
- R38: a confirmation after receipt_due is accepted with a breach (receipt_overdue); the
  sweep confirms returns past receipt_due with a breach dated at receipt_due, and closes
  returns not shipped in time dated at return_due; a refusal after receipt_due is refused;
  an overruled refusal is a breach (refusal_overruled) and pays; upheld: closed_refused.
- refund.cancelled at t: submitted / awaiting_return -> cancelled, except awaiting_return
  with t > return_due -> closed_timeout (the deadline came first; the refund is still
  recorded cancelled); closed_timeout (by the sweep) with t <= return_due -> cancelled.
- R32: a decision after review_due stores review_overdue; the sweep flags submitted claims
  past review_due.

Decided by the team after this test found a withdrawn request reopened and paid (commit
0ca7505): a return reported for a request the buyer has withdrawn is refused, even when it
shipped before the deadline. The test also checks, beside the model, that a withdrawn
request is never paid (`withdrawn_requests_are_never_paid` in tests/claims/machine/invariants.py).
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

REVIEW_TIME = dt.timedelta(hours=24)  # R32
RETURN_TIME = dt.timedelta(days=7)  # R33
RECEIPT_TIME = dt.timedelta(days=10)  # R38
COVERAGE = dt.timedelta(hours=720)  # R23
RETURN_SHIPPING = Decimal("10.00")  # R36: added to the payout cap
COMPENSATION = Decimal("10.00")  # R37
BREACH_POINTS = 10_000  # R38
ZERO = Decimal("0.00")

# R41: the exact state names, and the transitions between them (the two out of
# closed_timeout are the late reports of R33 / issue 9).
R41_TRANSITIONS = {
    "submitted": {"approved", "awaiting_return", "rejected", "cancelled"},
    "awaiting_return": {"return_shipped", "closed_timeout", "cancelled"},
    "closed_timeout": {"return_shipped", "cancelled"},
    "return_shipped": {"received", "receipt_refused"},
    "receipt_refused": {"received", "closed_refused"},
    "approved": {"refunded"},
    "received": {"refunded"},
    "refunded": {"paid"},
    "rejected": set(),
    "cancelled": set(),
    "closed_refused": set(),
    "paid": set(),
}
R41_STATES = frozenset(R41_TRANSITIONS)
OPEN = frozenset(
    {
        "submitted",
        "approved",
        "awaiting_return",
        "return_shipped",
        "received",
        "receipt_refused",
        "refunded",
    }
)
LIVE = OPEN | {"paid"}  # blocks a new claim on the line (R30, R42)
CLOSED = frozenset({"rejected", "cancelled", "closed_timeout", "closed_refused"})
COVERED_REASONS = frozenset({"quality_issue", "not_as_described", "damaged_or_stained"})
REASONS = ("quality_issue", "not_as_described", "damaged_or_stained") + (
    "no_longer_needed",
    "wrong_size",
    "other",
)
KINDS = ("refund_only", "return_and_refund")
APPLIED, REJECTED = "applied", "rejected"


def money(value: Decimal) -> Decimal:
    """R1: half-up to 0.01."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class ClaimsModel:
    def __init__(self, *, now: dt.datetime, shops: dict):
        """`shops`: shop key -> {"enrolled_since": datetime | None, "rate": Decimal | None}."""
        self.now = now
        self.shops = shops
        self.orders: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.claims: dict[str, dict] = {}  # by refund id

    # --- the clock ---

    def advance(self, to: dt.datetime) -> None:
        assert to >= self.now, "the model clock only moves forward"
        self.now = to

    # --- orders (R20-R23) ---

    def place_order(self, order_id, *, shop, placed_at, shipped_at, received_at, lines) -> None:
        """order.placed + order.shipped + order.received, all applied."""
        terms = self.shops[shop]
        insured = terms["enrolled_since"] is not None and placed_at >= terms["enrolled_since"]
        paid = sum(lines.values(), ZERO)
        self.orders[order_id] = {
            "shop": shop,
            "lines": dict(lines),
            "placed_at": placed_at,
            "shipped_at": shipped_at,
            "received_at": received_at,
            "insured": insured,
            "premium": money(paid * terms["rate"]) if insured else None,  # R22
        }

    # --- refund requests (R30, R31, R44) ---

    def not_covered_reason(self, order, reason, requested_at) -> str:
        if not order["insured"]:
            return "no_policy"
        if requested_at < order["received_at"]:
            return "before_receipt"
        if requested_at > order["received_at"] + COVERAGE:  # R23: the end instant is inside
            return "outside_window"
        if reason not in COVERED_REASONS:
            return "reason_not_covered"
        return ""

    def line_claims(self, order_id, line_id) -> list[dict]:
        return [c for c in self.claims.values() if (c["order"], c["line"]) == (order_id, line_id)]

    def request(self, refund_id, *, order_id, line_id, kind, reason, amount, requested_at):
        """-> (status, code): code "bad_amount", "line_has_claim" or None."""
        if amount <= 0:
            return REJECTED, "bad_amount"
        order = self.orders[order_id]
        why = self.not_covered_reason(order, reason, requested_at)
        if not why and any(c["state"] in LIVE for c in self.line_claims(order_id, line_id)):
            return REJECTED, "line_has_claim"
        self.refunds[refund_id] = {
            "order": order_id,
            "line": line_id,
            "shop": order["shop"],
            "kind": kind,
            "reason": reason,
            "amount": amount,
            "requested_at": requested_at,
            "covered": not why,
            "not_covered_reason": why,
            "state": "recorded",
        }
        if not why:
            self.claims[refund_id] = {
                "refund": refund_id,
                "order": order_id,
                "line": line_id,
                "shop": order["shop"],
                "kind": kind,
                "amount": amount,
                "cap": order["lines"][line_id] + RETURN_SHIPPING,  # R36
                "state": "submitted",
                "history": ["submitted"],
                "submitted_at": requested_at,
                "review_due": requested_at + REVIEW_TIME,  # R32, R90
                "review_overdue": False,
                "decided_at": None,
                "return_due": None,
                "shipped_at": None,
                "receipt_due": None,
                "closed_at": None,
                "payout": None,  # (amount, paid_at)
                "compensation": None,  # (amount, paid_at)
                "breach": None,  # (cause, recorded_at)
            }
        return APPLIED, None

    # --- transitions ---

    @staticmethod
    def _go(claim, state) -> None:
        assert state in R41_TRANSITIONS[claim["state"]], (claim["state"], state)  # model check
        claim["state"] = state
        claim["history"].append(state)

    def _complete_and_pay(self, claim, at) -> None:
        """R35-R37: refunded and paid at `at`; the payout is capped (R36)."""
        self._go(claim, "refunded")
        self._go(claim, "paid")
        claim["payout"] = (min(claim["amount"], claim["cap"]), at)
        if claim["kind"] == "return_and_refund":
            claim["compensation"] = (COMPENSATION, at)
        claim["closed_at"] = at

    def _decide(self, claim, at) -> None:
        claim["decided_at"] = at
        claim["review_overdue"] = at > claim["review_due"]  # R32: judged by the decision's time

    def approve(self, refund_id, *, at) -> bool:
        claim = self.claims[refund_id]
        if claim["state"] != "submitted":
            return False
        self._decide(claim, at)
        if claim["kind"] == "refund_only":
            self._go(claim, "approved")
            self._complete_and_pay(claim, at)
        else:
            self._go(claim, "awaiting_return")
            claim["return_due"] = at + RETURN_TIME  # R33
        return True

    def reject(self, refund_id, *, at) -> bool:
        claim = self.claims[refund_id]
        if claim["state"] != "submitted":
            return False
        self._decide(claim, at)
        self._go(claim, "rejected")
        claim["closed_at"] = at
        return True

    def ship_return(self, refund_id, *, shipped_at, reported_at):
        """refund.return_shipped (R33) -> (status, code): code "line_has_claim" or None."""
        claim = self.claims.get(refund_id)
        if claim is None or claim["kind"] != "return_and_refund":
            return REJECTED, None  # unknown, merchant-handled, refund only: no return to ship
        if claim["state"] not in ("awaiting_return", "closed_timeout"):
            return REJECTED, None
        if shipped_at > claim["return_due"]:
            return REJECTED, None  # too late: closed (or about to be) by the deadline
        if self.refunds[refund_id]["state"] == "cancelled":
            # The buyer withdrew (after the deadline: the claim closed_timeout); a return
            # reported later does not reopen it (R35: a withdrawn request is never paid).
            return REJECTED, None
        if claim["state"] == "closed_timeout" and any(
            c["state"] in LIVE for c in self.line_claims(claim["order"], claim["line"])
        ):
            # R30/R42 over R33: once the claim closed, a new claim on the sub-order was
            # accepted; reopening this one would make two live claims on one sub-order.
            return REJECTED, "line_has_claim"
        self._go(claim, "return_shipped")
        claim["shipped_at"] = shipped_at
        claim["receipt_due"] = max(shipped_at, reported_at) + RECEIPT_TIME  # R38
        claim["closed_at"] = None
        return APPLIED, None

    def cancel(self, refund_id, *, at) -> str:
        """refund.cancelled at `at`."""
        refund = self.refunds.get(refund_id)
        if refund is None or refund["state"] == "cancelled":
            return REJECTED
        claim = self.claims.get(refund_id)
        if claim is not None:
            state, due = claim["state"], claim["return_due"]
            if state == "submitted" or (state == "awaiting_return" and at <= due):
                self._go(claim, "cancelled")
                claim["closed_at"] = at
            elif state == "awaiting_return":  # the return deadline came first
                self._go(claim, "closed_timeout")
                claim["closed_at"] = due
            elif state == "closed_timeout":
                if at <= due:  # withdrawn before the deadline the sweep enforced
                    self._go(claim, "cancelled")
                    claim["closed_at"] = at
            else:
                return REJECTED
        refund["state"] = "cancelled"
        return APPLIED

    def confirm(self, refund_id, *, at, merchant_shop) -> bool:
        claim = self.claims[refund_id]
        if claim["state"] != "return_shipped" or merchant_shop != claim["shop"]:
            return False
        if at > claim["receipt_due"]:  # R38: late, the breach the sweep would have recorded
            claim["breach"] = ("receipt_overdue", at)
        self._go(claim, "received")
        self._complete_and_pay(claim, at)
        return True

    def refuse(self, refund_id, *, at, merchant_shop) -> bool:
        claim = self.claims[refund_id]
        if claim["state"] != "return_shipped" or merchant_shop != claim["shop"]:
            return False
        if at > claim["receipt_due"]:  # R38: the return counts as received
            return False
        self._go(claim, "receipt_refused")
        return True

    def overrule(self, refund_id, *, at) -> bool:
        claim = self.claims[refund_id]
        if claim["state"] != "receipt_refused":
            return False
        claim["breach"] = ("refusal_overruled", at)  # R38
        self._go(claim, "received")
        self._complete_and_pay(claim, at)
        return True

    def uphold(self, refund_id, *, at) -> bool:
        claim = self.claims[refund_id]
        if claim["state"] != "receipt_refused":
            return False
        self._go(claim, "closed_refused")
        claim["closed_at"] = at
        return True

    # --- the sweep (R33, R38, R32, R91) ---

    def sweep(self, now) -> dict:
        result = {"closed_timeout": 0, "receipt_overdue": 0, "review_flagged": 0}
        for claim in self.claims.values():
            if claim["state"] == "awaiting_return" and claim["return_due"] < now:
                self._go(claim, "closed_timeout")
                claim["closed_at"] = claim["return_due"]  # dated at the deadline
                result["closed_timeout"] += 1
            elif claim["state"] == "return_shipped" and claim["receipt_due"] < now:
                due = claim["receipt_due"]
                claim["breach"] = ("receipt_overdue", due)
                self._go(claim, "received")
                self._complete_and_pay(claim, due)
                result["receipt_overdue"] += 1
            elif (
                claim["state"] == "submitted"
                and claim["review_due"] < now
                and not claim["review_overdue"]
            ):
                claim["review_overdue"] = True
                result["review_flagged"] += 1
        return result

    # --- what the merchant should see ---

    def policy_status(self, order_id, now) -> str | None:
        """R24 (None: no policy)."""
        order = self.orders[order_id]
        if not order["insured"]:
            return None
        states = {c["state"] for c in self.claims.values() if c["order"] == order_id}
        if states & OPEN:
            return "claim_in_progress"
        if "paid" in states:
            return "claim_paid"
        if states & CLOSED:
            return "claim_closed"
        return "in_coverage" if now <= order["received_at"] + COVERAGE else "expired"

    def shop_money(self, shop) -> dict:
        claims = [c for c in self.claims.values() if c["shop"] == shop]
        return {
            "premiums": sum(
                (o["premium"] for o in self.orders.values() if o["shop"] == shop and o["insured"]),
                ZERO,
            ),
            "payouts": sum((c["payout"][0] for c in claims if c["payout"]), ZERO),
            "compensations": sum((c["compensation"][0] for c in claims if c["compensation"]), ZERO),
        }

    def payouts_since(self, shop, since) -> Decimal:
        return sum(
            (
                c["payout"][0]
                for c in self.claims.values()
                if c["shop"] == shop and c["payout"] and c["payout"][1] >= since
            ),
            ZERO,
        )

    def premiums_issued_since(self, shop, since) -> Decimal:
        return sum(
            (
                o["premium"]
                for o in self.orders.values()
                if o["shop"] == shop and o["insured"] and o["shipped_at"] >= since
            ),
            ZERO,
        )

    def claims_by_state(self, shop) -> dict:
        counts: dict[str, int] = {}
        for claim in self.claims.values():
            if claim["shop"] == shop:
                counts[claim["state"]] = counts.get(claim["state"], 0) + 1
        return counts
