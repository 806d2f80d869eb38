"""The dataset's refund requests and claims, planned before any row is written.

`plan_refunds()` picks the orders refunds are requested on (recent ones for open claims, so
that no deadline is due at build time; old ones for closed claims and merchant-handled
requests), then `_timeline()` gives each claim a history consistent with R30-R41: its times,
its fields and the django-fsm-log transitions that led to its state.
"""

from bench.scale.plan import (
    CARRIERS,
    CLAIM_STATES,
    COVERED,
    GROUNDS,
    N_ORDERS,
    NOT_COVERED,
    NOT_COVERED_REASONS,
    OPEN_STATES,
    D,
    H,
)
from bench.scale.shops import REVIEWER


class ClaimPlan:
    """Needs `rng`, `now`, `n_orders` and the orders' `o_*` lists."""

    def plan_refunds(self):
        """Pick the orders refunds are requested on and their timelines; decide claims."""
        rng = self.rng
        now = self.now
        recent, old, awaiting = [], [], []
        for i in range(self.n_orders):
            received = self.o_received[i]
            if received is None:
                awaiting.append(i)
            elif now - 20 * D <= received <= now - 2 * D:
                recent.append(i)
            elif received < now - 60 * D:
                old.append(i)
        rng.shuffle(recent)
        rng.shuffle(old)
        rng.shuffle(awaiting)
        self.refunds: list[dict] = []
        scale = self.n_orders / N_ORDERS  # smaller builds (--orders) keep the proportions
        for state, count in CLAIM_STATES.items():
            pool = recent if state in OPEN_STATES else old
            for _ in range(round(count * scale)):
                self.refunds.append({"order": pool.pop(), "claim_state": state})
        for reason, count in NOT_COVERED.items():
            pool = awaiting if reason == "before_receipt" else old
            for _ in range(round(count * scale)):
                self.refunds.append({"order": pool.pop(), "not_covered": reason})
        for r in self.refunds:
            self._timeline(r)
        # R62 buyers whose eligibility was revoked: a day before their first such request
        self.ineligible: dict[int, float] = {}
        for r in self.refunds:
            if r.get("not_covered") == "buyer_ineligible":
                buyer = self.o_buyer[r["order"]]
                at = r["requested"] - D
                self.ineligible[buyer] = min(at, self.ineligible.get(buyer, at))
        # refunds in time order, ids follow
        self.refunds.sort(key=lambda r: r["requested"])
        claim_status = {}
        for pk, r in enumerate(self.refunds, start=1):
            r["pk"] = pk
            state = r.get("claim_state")
            if state:
                claim_status[r["order"] + 1] = (
                    "claim_in_progress"
                    if state in OPEN_STATES
                    else "claim_paid"
                    if state == "paid"
                    else "claim_closed"
                )
        return claim_status

    def _timeline(self, r: dict) -> None:
        """Times and fields of the refund and its claim, consistent with R30-R41."""
        rng, now = self.rng, self.now
        i = r["order"]
        received = self.o_received[i]
        state = r.get("claim_state")
        if state is None:
            reason = r["not_covered"]
            if reason == "before_receipt":
                r["requested"] = self.o_shipped[i] + rng.uniform(
                    60, max(120, now - self.o_shipped[i] - 60)
                )
                r["reason"] = rng.choice(COVERED)
            elif reason == "outside_window":
                r["requested"] = received + rng.uniform(721 * H, 50 * D)
                r["reason"] = rng.choice(COVERED)
            elif reason == "buyer_ineligible":
                r["requested"] = received + rng.uniform(H, 29 * D)
                r["reason"] = rng.choice(COVERED)
            else:
                r["requested"] = received + rng.uniform(H, 40 * D)
                r["reason"] = rng.choice(NOT_COVERED_REASONS)
            r["requested"] = min(r["requested"], now - H)
            r["kind"] = rng.choice(["refund_only", "return_and_refund"])
            return
        r["reason"] = rng.choices(COVERED, [70, 20, 10])[0]
        ret = state in {
            "awaiting_return",
            "return_shipped",
            "received",
            "receipt_refused",
            "closed_timeout",
            "closed_refused",
        }
        if state in {"approved", "refunded"}:
            ret = False
        elif state in {"paid", "rejected", "cancelled", "submitted"}:
            ret = rng.random() < 0.5
        r["kind"] = "return_and_refund" if ret else "refund_only"
        # submission time
        if state == "submitted":
            sub = now - rng.uniform(10 * 60, 40 * H)
        elif state in {"approved", "refunded"}:
            sub = now - rng.uniform(2 * H, 30 * H)
        elif state == "awaiting_return":
            sub = now - rng.uniform(1 * D, 6 * D)
        elif state in OPEN_STATES:
            sub = now - rng.uniform(2 * D, 12 * D)
        else:
            sub = received + rng.uniform(H, 29 * D)
        sub = max(sub, received + 600)
        r["requested"] = sub
        c = r["claim"] = {"submitted": sub, "review_due": sub + 24 * H}
        log = r["log"] = [
            (
                sub,
                None,
                "submitted",
                "submit",
                None,
                "system: R30 covered request routed to the insurer",
            )
        ]
        c["review_overdue"] = state == "submitted" and sub + 24 * H < now
        fast = state in {"paid", "approved", "refunded"} and rng.random() < 0.3
        decided = sub if fast else sub + rng.uniform(0.5 * H, 20 * H)
        reviewer = REVIEWER
        merchant = self.o_shop[i]
        by = None if fast else reviewer
        decide_note = "system: R39 fast track" if fast else ""
        c["fast"] = fast
        if state == "submitted":
            return
        if state == "cancelled" and (r["kind"] == "refund_only" or rng.random() < 0.3):
            c["closed"] = sub + rng.uniform(H, 20 * H)
            log.append(
                (
                    c["closed"],
                    "submitted",
                    "cancelled",
                    "cancel",
                    None,
                    "buyer withdrew the request",
                )
            )
            return
        if state == "rejected":
            c["decided"] = c["closed"] = decided
            log.append((decided, "submitted", "rejected", "reject", reviewer, "照片与描述不符"))
            return
        c["decided"] = decided
        if r["kind"] == "refund_only":
            log.append((decided, "submitted", "approved", "approve_refund", by, decide_note))
            if state == "approved":
                return
            c["refunded"] = decided
            log.append(
                (
                    decided,
                    "approved",
                    "refunded",
                    "complete_refund",
                    None,
                    "system: R35 refund on approval",
                )
            )
            if state == "refunded":
                return
            c["closed"] = decided
            log.append(
                (decided, "refunded", "paid", "mark_paid", None, "system: R35 automatic payout")
            )
            c["payout"] = decided
            return
        # returns (R33-R38)
        c["return_due"] = decided + 7 * D
        log.append((decided, "submitted", "awaiting_return", "approve_return", by, decide_note))
        if state == "awaiting_return":
            return
        if state == "cancelled":
            c["closed"] = decided + rng.uniform(H, 6 * D)
            log.append(
                (
                    c["closed"],
                    "awaiting_return",
                    "cancelled",
                    "cancel",
                    None,
                    "buyer withdrew the request",
                )
            )
            return
        if state == "closed_timeout":
            c["closed"] = c["return_due"] + rng.uniform(60, H)
            log.append(
                (
                    c["closed"],
                    "awaiting_return",
                    "closed_timeout",
                    "close_timeout",
                    None,
                    "system: R33 no return tracking number before the deadline",
                )
            )
            return
        shipped = decided + rng.uniform(0.5 * D, 6 * D)
        if state in {"return_shipped", "received", "receipt_refused"}:
            shipped = max(min(shipped, now - H), now - 9 * D, decided + H)
        c["shipped"] = shipped
        c["receipt_due"] = shipped + 10 * D
        c["carrier"] = rng.choice(CARRIERS)
        c["tracking"] = f"SF{rng.randrange(10**11, 10**12)}"
        log.append(
            (
                shipped,
                "awaiting_return",
                "return_shipped",
                "ship_return",
                None,
                f"{c['carrier']} {c['tracking']}",
            )
        )
        if state == "return_shipped":
            return
        acted = min(shipped + rng.uniform(0.5 * D, 3 * D), now - 60)
        if state == "received":
            log.append((acted, "return_shipped", "received", "confirm_receipt", merchant, ""))
            return
        path = "confirm"
        if state in {"receipt_refused", "closed_refused"}:
            path = "refuse"
        elif state == "paid":
            p = rng.random()
            path = "confirm" if p < 0.8 else "overdue" if p < 0.92 else "overruled"
        if path in {"refuse", "overruled"}:
            c["ground"] = rng.choice(GROUNDS)
            log.append(
                (
                    acted,
                    "return_shipped",
                    "receipt_refused",
                    "refuse_receipt",
                    merchant,
                    "包裹是空的",
                )
            )
            if state == "receipt_refused":
                return
            ruled = acted + rng.uniform(H, D)
            if state == "closed_refused":
                c["closed"] = ruled
                log.append(
                    (
                        ruled,
                        "receipt_refused",
                        "closed_refused",
                        "uphold_refusal",
                        reviewer,
                        "商家证据成立",
                    )
                )
                return
            log.append(
                (
                    ruled,
                    "receipt_refused",
                    "received",
                    "overrule_refusal",
                    reviewer,
                    "拒收理由不成立",
                )
            )
            c["breach"] = ("refusal_overruled", ruled)
            done, note = ruled, "system: R35 refund after overruling"
        elif path == "overdue":
            done = c["receipt_due"] + rng.uniform(60, H)
            log.append(
                (
                    done,
                    "return_shipped",
                    "received",
                    "confirm_receipt",
                    None,
                    "system: R38 merchant receipt deadline passed",
                )
            )
            c["breach"] = ("receipt_overdue", done)
            note = "system: R35 refund after the receipt deadline"
        else:
            done = acted
            log.append((done, "return_shipped", "received", "confirm_receipt", merchant, ""))
            note = "system: R35 refund on receipt"
        c["refunded"] = c["closed"] = c["payout"] = done
        c["compensation"] = done
        log.append((done, "received", "refunded", "complete_refund", None, note))
        log.append((done, "refunded", "paid", "mark_paid", None, "system: R35 automatic payout"))
