"""The claims machine's rules for the platform: orders, refund requests, returns shipped,
withdrawals and repeated events, through the signed event API (R80-R84)."""

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st
from hypothesis.stateful import (
    initialize,
    precondition,
    rule,
)

from tests.claims.machine.world import (
    DAY,
    HOUR,
    MAX_ORDERS,
    MAX_REFUNDS,
    RECEIVED_AGO,
    SECOND,
    clamp,
    snapshot,
)
from tests.claims.model import (
    APPLIED,
    KINDS,
    REASONS,
)
from tests.platform_api import events as ev


class PlatformRules:
    """The platform's steps (a mixin of tests.claims.test_model_based.ClaimsMachine)."""

    # --- the platform (signed event API, R80-R84) ---

    @initialize(
        data=st.data(),
        shop=st.sampled_from(["A", "B"]),
        cents=st.lists(st.integers(5000, 30000), min_size=1, max_size=2),
        kind=st.sampled_from(["return_and_refund", "return_and_refund", "refund_only"]),
        reason=st.sampled_from(REASONS[:3]),
    )
    def an_insured_order_and_a_claim(self, data, shop, cents, kind, reason):
        """Every example starts with an insured order received now and a covered request on
        its first line (a claim in review): more of the steps go to the claims."""
        self.order_placed_shipped_received(shop, cents, dt.timedelta(0), "buyer-1")
        self.step("refund_requested")
        paid = self.model.orders["O1"]["lines"]["O1-1"]
        amount = data.draw(st.integers(1, int(paid * 100) + 2500), label="amount in cents")
        self._request("O1", "O1-1", kind, reason, Decimal(amount) / 100, self.now)

    @precondition(lambda self: len(self.model.orders) < MAX_ORDERS)
    @rule(
        shop=st.sampled_from(["A", "B", "A", "B", "C"]),
        cents=st.lists(st.integers(5000, 30000), min_size=1, max_size=2),
        received_ago=st.sampled_from(RECEIVED_AGO),
        buyer=st.sampled_from(["buyer-1", "buyer-2"]),
    )
    def order_placed_shipped_received(self, shop, cents, received_ago, buyer):
        """R20-R23: an order of 1-2 lines (50.00-300.00 each), shipped and received; shop C
        was never enrolled (no policy)."""
        self.step("order")
        self.orders += 1
        order_id = f"O{self.orders}"
        received = self.now - received_ago
        lines = {f"{order_id}-{i}": Decimal(c) / 100 for i, c in enumerate(cents, start=1)}
        results = self.send(
            ev.order_placed(
                order_id,
                self.world.shops[shop].platform_shop_id,
                buyer=buyer,
                at=received - 2 * DAY,
                lines=[
                    {
                        "line_id": line_id,
                        "sku": "SKU-KETTLE",
                        "title": "电热水壶",
                        "quantity": 1,
                        "paid_amount": str(paid),
                    }
                    for line_id, paid in lines.items()
                ],
            ),
            ev.order_shipped(order_id, at=received - DAY),
            ev.order_received(order_id, at=received),
        )
        assert [r["status"] for r in results] == [APPLIED] * 3, results
        self.model.place_order(
            order_id,
            shop=shop,
            placed_at=received - 2 * DAY,
            shipped_at=received - DAY,
            received_at=received,
            lines=lines,
        )

    @precondition(lambda self: len(self.model.refunds) < MAX_REFUNDS)
    @rule(
        data=st.data(),
        kind=st.sampled_from(KINDS),
        reason=st.sampled_from(REASONS[:3] * 2 + REASONS),  # covered ones 3 times as often
        amount_is=st.sampled_from(
            ["any", "any", "any", "paid", "cap", "cap+0.01", "paid+25", "zero"]
        ),
        asked=st.sampled_from(
            [
                "now",
                "now",
                "now",
                "now",
                "an hour ago",
                "a day ago",
                "window end",
                "window end + 1s",
                "before receipt",
            ]
        ),
    )
    def refund_requested(self, data, kind, reason, amount_is, asked):
        """R30, R31, R36: every request with an amount above 0 is recorded; covered ones
        become claims, unless the line already has a live claim."""
        self.step("refund_requested")
        order_id = data.draw(st.sampled_from(sorted(self.model.orders)), label="order")
        order = self.model.orders[order_id]
        line_id = data.draw(st.sampled_from(sorted(order["lines"])), label="line")
        paid = order["lines"][line_id]
        amount = {
            "paid": paid,
            "cap": paid + 10,
            "cap+0.01": paid + Decimal("10.01"),
            "paid+25": paid + 25,
            "zero": Decimal("0.00"),
        }.get(amount_is)
        if amount is None:
            cents = data.draw(st.integers(1, int(paid * 100) + 2500), label="amount in cents")
            amount = Decimal(cents) / 100
        window_end = order["received_at"] + dt.timedelta(hours=720)
        requested_at = {
            "now": self.now,
            "an hour ago": self.now - HOUR,
            "a day ago": self.now - DAY,
            "window end": window_end,
            "window end + 1s": window_end + SECOND,
            "before receipt": order["received_at"] - SECOND,
        }[asked]
        if asked in ("an hour ago", "a day ago"):
            requested_at = max(requested_at, order["received_at"])
        requested_at = min(requested_at, self.now)  # the platform reports what happened
        self._request(order_id, line_id, kind, reason, amount, requested_at)

    def _request(self, order_id, line_id, kind, reason, amount, requested_at) -> None:
        self.refunds += 1
        refund_id = f"R{self.refunds}"
        expected, code = self.model.request(
            refund_id,
            order_id=order_id,
            line_id=line_id,
            kind=kind,
            reason=reason,
            amount=amount,
            requested_at=requested_at,
        )
        (result,) = self.send(
            ev.refund_requested(
                refund_id,
                order_id,
                line_id=line_id,
                kind=kind,
                reason=reason,
                amount=str(amount),
                at=requested_at,
            )
        )
        recorded = self.model.refunds.get(refund_id)
        why = code or (recorded["not_covered_reason"] or "claim" if recorded else "?")
        self.outcome(f"refund.requested: {result['status']} ({why})")
        assert result["status"] == expected, (result, expected, code)
        if code == "line_has_claim":
            assert "already has a claim" in result.get("error", ""), result

    @precondition(lambda self: self.claims_in("awaiting_return", "closed_timeout"))
    @rule(
        data=st.data(),
        shipped=st.sampled_from(
            ["now", "an hour ago", "at the deadline", "deadline + 1s", "at the decision"]
        ),
        reported=st.sampled_from(["now", "now", "a day after the deadline"]),
    )
    def return_shipped(self, data, shipped, reported):
        """R33/R38: judged by the shipment's own time, also when reported after the deadline
        (the clock moves there first; the sweep may have closed the claim); the merchant's
        deadline counts from the later of shipment and report."""
        self.step("return_shipped")
        refund_id = data.draw(
            st.sampled_from(self.claims_in("awaiting_return", "closed_timeout")), label="refund"
        )
        claim = self.model.claims[refund_id]
        due, decided = claim["return_due"], claim["decided_at"]
        if reported != "now":
            self.move_clock(max(self.now, due + DAY))
        shipped_at = {
            "now": self.now,
            "an hour ago": self.now - HOUR,
            "at the deadline": due,
            "deadline + 1s": due + SECOND,
            "at the decision": decided,
        }[shipped]
        shipped_at = clamp(shipped_at, decided, self.now)
        state_before = claim["state"]
        expected, code = self.model.ship_return(
            refund_id, shipped_at=shipped_at, reported_at=self.now
        )
        (result,) = self.send(
            ev.return_shipped(refund_id, at=shipped_at, tracking=f"SF{refund_id}")
        )
        late = "late" if shipped_at > due else "in time"
        blocked = " (the line has a new claim)" if code else ""
        self.outcome(f"refund.return_shipped ({state_before}, {late}{blocked}): {result['status']}")
        assert result["status"] == expected, (result, expected, state_before, shipped_at, due)
        if code == "line_has_claim":  # R83: a clear error, not a transient one to retry
            assert "send it again" not in result.get("error", ""), result

    @precondition(lambda self: self.model.refunds)
    @rule(
        data=st.data(),
        when=st.sampled_from(["now", "an hour ago", "at the return deadline", "deadline + 1s"]),
        which=st.sampled_from(
            ["a claim awaiting its return", "a request out of review", "any request"]
            + ["a request out of review"]
        ),
    )
    def refund_cancelled(self, data, when, which):
        """The buyer withdraws (R41); against the return deadline by the withdrawal's time.
        Claims in review or awaiting the return are picked less often than other requests
        (merchant-handled, closed, paid: mostly refused), else few claims live long."""
        self.step("refund_cancelled")
        pool = {
            "a claim awaiting its return": self.claims_in("awaiting_return", "closed_timeout"),
            "a request out of review": sorted(
                set(self.model.refunds)
                - set(self.claims_in("submitted", "awaiting_return", "closed_timeout"))
            ),
        }.get(which) or sorted(self.model.refunds)
        refund_id = data.draw(st.sampled_from(pool), label="refund")
        refund = self.model.refunds[refund_id]
        claim = self.model.claims.get(refund_id)
        due = claim["return_due"] if claim else None
        cancelled_at = {
            "now": self.now,
            "an hour ago": self.now - HOUR,
            "at the return deadline": due or self.now,
            "deadline + 1s": (due or self.now) + SECOND,
        }[when]
        cancelled_at = clamp(cancelled_at, refund["requested_at"], self.now)
        state_before = claim["state"] if claim else "merchant-handled"
        expected = self.model.cancel(refund_id, at=cancelled_at)
        (result,) = self.send(ev.refund_cancelled(refund_id, at=cancelled_at))
        after = ", after the return deadline" if due and cancelled_at > due else ""
        self.outcome(f"refund.cancelled ({state_before}{after}): {result['status']}")
        assert result["status"] == expected, (result, expected, state_before, cancelled_at, due)

    @precondition(lambda self: self.just_sent and self.last_events)
    @rule()
    def platform_repeats_the_last_events(self):
        """R82: an applied event sent again (right after, or later) is a duplicate and
        changes nothing."""
        self.step("repeat")
        before = snapshot()
        results = ev.send(self.client, *self.last_events)
        assert {r["status"] for r in results} == {"duplicate"}, results
        assert snapshot() == before
