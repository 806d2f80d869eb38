"""The claims machine's invariant: after every step, the database against the reference
model (states, deadlines, money, the timeline, R24 statuses, the merchant pages)."""

from collections import Counter
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Sum
from django_fsm_log.models import StateLog
from hypothesis.stateful import (
    invariant,
)

from claims import dashboard, rollups, selectors
from claims.models import (
    BuyerCompensation,
    Claim,
    Payout,
    Policy,
    RefundRequest,
    ServiceBreach,
)
from portal.clock import SHANGHAI
from tests.claims.machine.world import (
    CLAIM_FIELDS,
    money_sum,
)
from tests.claims.model import (
    BREACH_POINTS,
    LIVE,
    R41_STATES,
)


class Invariants:
    """What holds after every step (a mixin of ClaimsMachine)."""

    # --- invariants, against the database (one entry point: shorter failing examples) ---

    @invariant()
    def database_matches_the_model(self):
        """After every step (about ten queries; the merchant pages only when they change)."""
        claims = {c.pk: c for c in Claim.objects.select_related("refund")}
        self.withdrawn_requests_are_never_paid()
        self.claims_are_what_the_model_predicts(claims)
        self.every_transition_is_in_the_timeline(claims)
        self.refunds_are_recorded_as_predicted()
        self.money_moves_only_for_paid_claims(claims)
        self.one_live_claim_per_line(claims)
        self.policies_show_their_claims()
        self.money_reconciles_per_shop()
        self.rollups_equal_a_recount()

    def rollups_equal_a_recount(self):
        """Issue 10: the per-shop, per-day rollups the merchant figures read (claims.rollups)
        hold exactly what a recount of the raw rows gives, after every step."""
        assert rollups.current() == rollups.recount()

    def withdrawn_requests_are_never_paid(self):
        """R35/R37: no payout and no buyer compensation on a request the buyer withdrew."""
        paid = Payout.objects.filter(claim__refund__state="cancelled").values_list(
            "claim__refund__platform_refund_id", "amount"
        )
        assert not paid.exists(), f"withdrawn requests paid to the shop: {list(paid)}"
        compensated = BuyerCompensation.objects.filter(claim__refund__state="cancelled")
        assert not compensated.exists(), "a withdrawn request paid the buyer 10.00"

    def claims_are_what_the_model_predicts(self, claims):
        """R41 names; R32/R33/R38/R90 deadlines, flags and dates; R36 cap; R30 the claims
        that exist are exactly the covered requests the model accepted."""
        shop_keys = {shop.pk: key for key, shop in self.world.shops.items()}
        actual = {
            c.refund.platform_refund_id: {
                "state": c.state,
                "shop": shop_keys[c.shop_id],
                "kind": c.kind,
                "amount": c.amount,
                "cap": c.payable_cap,
                "submitted_at": c.submitted_at,
                "review_due": c.review_due_at,
                "review_overdue": c.review_overdue,
                "decided_at": c.decided_at,
                "return_due": c.return_due_at,
                "shipped_at": c.return_shipped_at,
                "receipt_due": c.receipt_due_at,
                "closed_at": c.closed_at,
            }
            for c in claims.values()
        }
        expected = {
            refund_id: {key: claim[key] for key in CLAIM_FIELDS}
            for refund_id, claim in self.model.claims.items()
        }
        assert {c["state"] for c in actual.values()} <= R41_STATES
        assert set(actual) == set(expected)
        assert actual == expected

    def every_transition_is_in_the_timeline(self, claims):
        """R40/R41: each claim's audit trail (portal.audit.timeline: its StateLog rows in
        order) is the model's path, state by state. One query for all claims."""
        paths: dict[int, list[str]] = {pk: [] for pk in claims}
        logged = StateLog.objects.filter(content_type=ContentType.objects.get_for_model(Claim))
        for object_id, state in logged.order_by("id").values_list("object_id", "state"):
            paths[int(object_id)].append(state)
        actual = {claims[pk].refund.platform_refund_id: path for pk, path in paths.items()}
        assert actual == {r: c["history"] for r, c in self.model.claims.items()}

    def refunds_are_recorded_as_predicted(self):
        """R30/R44: every request with amount > 0 recorded (above the paid amount too),
        covered or with the reason it is not; withdrawn ones cancelled; no others."""
        actual = {
            r[0]: r[1:]
            for r in RefundRequest.objects.values_list(
                "platform_refund_id", "covered", "not_covered_reason", "state", "amount", "kind"
            )
        }
        expected = {
            refund_id: (r["covered"], r["not_covered_reason"], r["state"], r["amount"], r["kind"])
            for refund_id, r in self.model.refunds.items()
        }
        assert actual == expected

    def money_moves_only_for_paid_claims(self, claims):
        """R35-R38, R42: one payout (min(amount, cap) <= cap, to the claim's shop) and, for
        returns, one 10.00 compensation per paid claim, none for the others; one breach of
        10,000 points exactly where a deadline was missed or a refusal overruled."""
        payouts = list(Payout.objects.values_list("claim_id", "amount", "paid_at", "shop_id"))
        compensations = list(BuyerCompensation.objects.values_list("claim_id", "amount", "paid_at"))
        breaches = list(
            ServiceBreach.objects.values_list("claim_id", "cause", "recorded_at", "points")
        )
        for rows, name in (
            (payouts, "payout"),
            (compensations, "compensation"),
            (breaches, "breach"),
        ):
            ids = [row[0] for row in rows]
            assert len(ids) == len(set(ids)), f"more than one {name} on a claim (R42)"
        for claim_id, amount, _paid_at, shop_id in payouts:
            claim = claims[claim_id]
            assert claim.state == "paid", claim.refund.platform_refund_id
            assert amount == min(claim.amount, claim.payable_cap) <= claim.payable_cap
            assert shop_id == claim.shop_id
        assert {points for *_row, points in breaches} <= {BREACH_POINTS}

        def by_refund(rows):
            return {claims[row[0]].refund.platform_refund_id: tuple(row[1:3]) for row in rows}

        model = self.model.claims
        assert by_refund(payouts) == {r: c["payout"] for r, c in model.items() if c["payout"]}
        assert by_refund(compensations) == {
            r: c["compensation"] for r, c in model.items() if c["compensation"]
        }
        assert by_refund(breaches) == {r: c["breach"] for r, c in model.items() if c["breach"]}

    def one_live_claim_per_line(self, claims):
        """R30/R42: at most one claim open or paid per sub-order."""
        live = Counter(c.refund.line_id for c in claims.values() if c.state in LIVE)
        assert not [line for line, n in live.items() if n > 1], live

    def policies_show_their_claims(self):
        """R24: in progress if any claim is open, else paid if any is paid, else closed
        (else in coverage or expired): the stored status and what Policy.status() shows."""
        actual, stored = {}, {}
        for policy in Policy.objects.select_related("order"):
            actual[policy.order.platform_order_id] = policy.status(self.now)
            stored[policy.order.platform_order_id] = policy.claim_status
        expected = {
            order_id: self.model.policy_status(order_id, self.now)
            for order_id, order in self.model.orders.items()
            if order["insured"]
        }
        assert actual == expected
        assert {o: s for o, s in stored.items() if s != "none"} == {
            o: s for o, s in expected.items() if s.startswith("claim_")
        }

    def money_reconciles_per_shop(self):
        """Premiums, payouts and compensations per shop: the model = the tables = the
        merchant pages (the policy and payout lists' selectors and the dashboard)."""
        shop_keys = {shop.pk: key for key, shop in self.world.shops.items()}
        tables = {key: {} for key in self.world.shops}
        for name, rows in (
            ("premiums", Policy.objects.values_list("shop").annotate(t=Sum("premium"))),
            ("payouts", Payout.objects.values_list("shop").annotate(t=Sum("amount"))),
            (
                "compensations",
                BuyerCompensation.objects.values_list("claim__shop").annotate(t=Sum("amount")),
            ),
        ):
            for shop_id, total in rows.order_by():
                tables[shop_keys[shop_id]][name] = total
        month_start = dashboard._month_start(self.now)
        for key, shop in self.world.shops.items():
            expected = self.model.shop_money(key)
            assert {**dict.fromkeys(expected, Decimal("0.00")), **tables[key]} == expected, key
            self.dashboard_shows(key, shop, month_start)

    def dashboard_shows(self, key, shop, month_start) -> None:
        """The merchant pages: the policy and payout lists' selectors sum to the model's
        premiums and payouts; the dashboard: this month's premiums and payouts, the 12
        months' rows (Shanghai months of issue and payment) and the claims by state.
        Computed only when what they should show changed (the dashboard costs ~30 ms a
        shop); the tables above are checked after every step.

        The dashboard reads the rollups (claims.rollups), kept in step with every write, so
        a write dated in a closed month (the sweep's payouts dated at the deadline, an order
        reported late) shows at once."""
        months = [dashboard._month_start(self.now, i) for i in range(11, -1, -1)]
        expected_rows = {f"{m:%Y-%m}": [Decimal("0.00"), Decimal("0.00")] for m in months}
        for order in self.model.orders.values():
            if order["shop"] == key and order["insured"]:
                label = f"{order['shipped_at'].astimezone(SHANGHAI):%Y-%m}"
                expected_rows[label][0] += order["premium"]
        for claim in self.model.claims.values():
            if claim["shop"] == key and claim["payout"]:
                label = f"{claim['payout'][1].astimezone(SHANGHAI):%Y-%m}"
                expected_rows[label][1] += claim["payout"][0]
        expected = {
            "month_premiums": self.model.premiums_issued_since(key, month_start),
            "month_payouts": self.model.payouts_since(key, month_start),
            "rows": {label: tuple(sums) for label, sums in expected_rows.items()},
            "claims_by_state": self.model.claims_by_state(key),
        }
        money = self.model.shop_money(key)
        memo = repr((expected, money))
        if self.dashboards_seen.get(key) == memo:
            return
        policy_page = selectors.policies_for_shop(shop=shop, now=self.now)
        payout_page = selectors.payouts_for_shop(shop=shop)
        assert money_sum(policy_page, "premium") == money["premiums"], key
        assert money_sum(payout_page, "amount") == money["payouts"], key

        def shown(board):
            return {
                "month_premiums": board.month_premiums,
                "month_payouts": board.month_payouts,
                "rows": {label: (p, q) for label, p, q, _ratio in board.money_rows},
                "claims_by_state": {s: n for s, _label, n in board.claims_by_state},
            }

        assert shown(dashboard.dashboard_for_shop(shop=shop, now=self.now)) == expected, key
        self.dashboards_seen[key] = memo
