"""The claims machine's rules for the people and the clock: the insurer's reviewer
(R32-R34), the merchants (R34, R38), any action on any claim, the deadline sweep (R33, R38,
R32, R91) and time passing."""

import datetime as dt

from hypothesis import strategies as st
from hypothesis.stateful import (
    precondition,
    rule,
)

from claims.services import decisions
from claims.services.sweep import sweep_deadlines
from tests.claims.machine.world import (
    CLOCK_LIMIT,
    CLOCK_STEPS,
    HOUR,
    NO_CHANGE,
    ONTO_A_DEADLINE,
    REFUSAL_GROUNDS,
    SECOND,
    SHOPS,
    attempt,
    snapshot,
)
from tests.platform_api import events as ev


class ActorRules:
    """The reviewer's, merchants', sweep's and clock's steps (a mixin of ClaimsMachine)."""

    # --- the insurer's reviewer (R32-R34) ---

    @precondition(lambda self: self.claims_in("submitted", "receipt_refused"))
    @rule(data=st.data(), for_the_buyer=st.sampled_from([True, True, False]))
    def reviewer_decides(self, data, for_the_buyer):
        """R32/R33/R35/R36: a claim in review is approved (refund only: paid at once) or
        rejected, on time or late. R34/R38: a refused receipt is overruled (breach, paid) or
        the refusal upheld (closed_refused, no payout)."""
        self.step("reviewer_decides")
        refund_id = data.draw(
            st.sampled_from(self.claims_in("submitted", "receipt_refused")), label="refund"
        )
        in_review = self.model.claims[refund_id]["state"] == "submitted"
        action = {
            (True, True): "approve",
            (True, False): "reject",
            (False, True): "overrule",
            (False, False): "uphold",
        }[in_review, for_the_buyer]
        self._reviewer_acts(refund_id, action)

    def _reviewer_acts(self, refund_id, action) -> None:
        service, predict, extra = {
            "approve": (decisions.claim_approve, self.model.approve, {}),
            "reject": (decisions.claim_reject, self.model.reject, {"reason": "图片无法证明"}),
            "overrule": (decisions.claim_overrule_refusal, self.model.overrule, {}),
            "uphold": (decisions.claim_uphold_refusal, self.model.uphold, {}),
        }[action]
        claim = self.model.claims[refund_id]
        state_before, late = claim["state"], self.now > claim["review_due"]
        expected = predict(refund_id, at=self.now)
        accepted = attempt(
            service, claim_id=self.claim_pk(refund_id), actor=self.world.reviewer, **extra
        )
        timing = f", {'late' if late else 'in time'}" if action in ("approve", "reject") else ""
        self.outcome(f"reviewer: {action} ({state_before}{timing}): {accepted}")
        assert accepted == expected, (refund_id, action, state_before, accepted, expected)

    # --- the merchants (R34, R38) ---

    @precondition(lambda self: self.claims_in("return_shipped"))
    @rule(
        data=st.data(),
        confirm=st.booleans(),
        ground=st.sampled_from(REFUSAL_GROUNDS),
        when=st.sampled_from(["now", "now", "after the receipt deadline"]),
    )
    def merchant_acts_on_a_return(self, data, confirm, ground, when):
        """R34/R38: confirm (late: with a breach) or refuse (only before the deadline); to
        act late the clock first moves past the receipt deadline (no sweep in between)."""
        self.step("merchant_acts")
        refund_id = data.draw(st.sampled_from(self.claims_in("return_shipped")), label="refund")
        if when != "now":
            self.move_clock(max(self.now, self.model.claims[refund_id]["receipt_due"] + SECOND))
        self._merchant_acts(refund_id, confirm, ground, self.model.claims[refund_id]["shop"])

    def _merchant_acts(self, refund_id, confirm, ground, shop) -> None:
        claim = self.model.claims[refund_id]
        late = claim["receipt_due"] is not None and self.now > claim["receipt_due"]
        claim_id, user = self.claim_pk(refund_id), self.world.merchants[shop]
        state_before = claim["state"]
        if confirm:
            expected = self.model.confirm(refund_id, at=self.now, merchant_shop=shop)
            accepted = attempt(decisions.claim_confirm_receipt, claim_id=claim_id, actor=user)
        else:
            expected = self.model.refuse(refund_id, at=self.now, merchant_shop=shop)
            accepted = attempt(
                decisions.claim_refuse_receipt,
                claim_id=claim_id,
                actor=user,
                ground=ground,
                note="空包裹",
                evidence=[("p.png", ev.png_bytes())],
            )
        action = ("confirms" if confirm else "refuses") + (
            "" if shop == claim["shop"] else " as another shop"
        )
        self.outcome(
            f"merchant {action} ({state_before}, {'late' if late else 'in time'}): {accepted}"
        )
        assert accepted == expected, (refund_id, action, state_before, late, accepted, expected)

    # --- anything on anything: what the state does not allow is refused, changing nothing ---

    @precondition(lambda self: self.model.claims)
    @rule(
        data=st.data(),
        action=st.sampled_from(
            [
                "approve",
                "reject",
                "confirm",
                "refuse",
                "confirm as another shop",
                "refuse as another shop",
                "overrule",
                "uphold",
                "ship now",
            ]
        ),
    )
    def any_action_on_any_claim(self, data, action):
        """R40/R41: a transition the state (or the actor) does not allow is refused."""
        self.step("any_action")
        refund_id = data.draw(st.sampled_from(sorted(self.model.claims)), label="refund")
        claim = self.model.claims[refund_id]
        if action in ("confirm", "refuse", "confirm as another shop", "refuse as another shop"):
            shop = claim["shop"]
            if action.endswith("another shop"):
                shop = next(s for s in sorted(SHOPS) if s != claim["shop"])
            self._merchant_acts(refund_id, action.startswith("confirm"), "wrong_item", shop)
            return
        if action == "ship now":
            state_before = claim["state"]
            expected, _code = self.model.ship_return(
                refund_id, shipped_at=self.now, reported_at=self.now
            )
            (result,) = self.send(ev.return_shipped(refund_id, at=self.now, tracking="SF0"))
            self.outcome(f"any: ship now ({state_before}): {result['status']}")
            assert result["status"] == expected, (result, expected, refund_id)
            return
        self._reviewer_acts(refund_id, action)

    # --- the sweep (R33, R38, R32, R91) ---

    def deadlines_reached(self) -> bool:
        """A claim whose deadline is now or past (at the instant itself the sweep must do
        nothing: R33/R38 deadlines are inclusive; R32 flags once)."""
        for claim in self.model.claims.values():
            due = {
                "submitted": None if claim["review_overdue"] else claim["review_due"],
                "awaiting_return": claim["return_due"],
                "return_shipped": claim["receipt_due"],
            }.get(claim["state"])
            if due is not None and due <= self.now:
                return True
        return False

    @precondition(lambda self: self.deadlines_reached())
    @rule()
    def sweep_twice(self):
        """R91: the sweep closes and flags what expired, dated at the deadlines; a second run
        straight after changes nothing."""
        self.step("sweep")
        expected = self.model.sweep(self.now)
        result = sweep_deadlines(now=self.now)
        assert result.as_dict() == expected
        before = snapshot()
        again = sweep_deadlines(now=self.now)
        assert again.as_dict() == NO_CHANGE
        assert snapshot() == before
        acted = [f"{kind} {n}" for kind, n in expected.items() if n]
        self.outcome(f"sweep: {', '.join(acted) or 'nothing due'}")

    # --- the clock ---

    def pending_deadlines(self) -> list[dt.datetime]:
        """The deadlines still ahead: reviews, returns, receipts, coverage windows."""
        found = set()
        for claim in self.model.claims.values():
            found.add(
                {
                    "submitted": claim["review_due"],
                    "awaiting_return": claim["return_due"],
                    "return_shipped": claim["receipt_due"],
                }.get(claim["state"])
            )
        for order in self.model.orders.values():
            found.add(order["received_at"] + dt.timedelta(hours=720))
        return sorted(d for d in found if d is not None and d >= self.now)

    @precondition(lambda self: self.now < CLOCK_LIMIT)
    @rule(data=st.data(), by=st.sampled_from(CLOCK_STEPS + ONTO_A_DEADLINE))
    def time_passes(self, data, by):
        """The clock moves forward only: by a step, or exactly onto a deadline still ahead or
        one second either side of it (R23, R32, R33, R38)."""
        self.step("clock")
        if isinstance(by, dt.timedelta):
            self.move_clock(self.now + by)
            return
        deadlines = self.pending_deadlines() or [self.now + HOUR]
        deadline = data.draw(st.sampled_from(deadlines), label="deadline")
        offset = {"onto a deadline": dt.timedelta(0), "a deadline + 1s": SECOND}.get(by, -SECOND)
        self.move_clock(max(self.now, deadline + offset))
