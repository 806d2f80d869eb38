"""The rows of the planned refunds and claims: refund requests, claims, payouts, buyer
compensations, service breaches, django-fsm-log StateLog rows and buyer feedback.

Fields the dataset leaves empty are written as such (`r"\\N"`, `""`), so that every field of
the models is accounted for (bench.scale.loader refuses rows that miss one).
"""

from bench.scale.plan import N_FEEDBACK, N_ORDERS, D, H, money, ts, val

NULL = r"\N"


class ClaimRows:
    """Needs the plan of bench.scale.claims (`refunds`) and the orders' `o_*` lists."""

    def refund_rows(self):
        for r in self.refunds:
            i = r["order"]
            c = r.get("claim")
            cancelled = c.get("closed") if r.get("claim_state") == "cancelled" else None
            yield {
                "id": str(r["pk"]),
                "platform_refund_id": f"R{r['pk']:09d}",
                "kind": r["kind"],
                "reason": r["reason"],
                "amount": money(self.o_first_line_paid[i]),
                "description": "用了两天就坏了",
                "requested_at": ts(r["requested"]),
                "covered": val(c is not None),
                "not_covered_reason": r.get("not_covered", ""),
                "state": "cancelled" if cancelled else "recorded",
                "cancelled_at": ts(cancelled),
                "content_hash": f"{r['pk']:064x}",
                "buyer_id": str(self.o_buyer[i]),
                "line_id": str(self.o_first_line[i]),
                "order_id": str(i + 1),
                "shop_id": str(self.o_shop[i]),
            }

    def claim_rows(self):
        """Claims get ids 1.. in refund order; keeps what payouts etc. need."""
        self.claims = []
        pk = 0
        for r in self.refunds:
            c = r.get("claim")
            if c is None:
                continue
            pk += 1
            c["pk"] = pk
            self.claims.append(r)
            i = r["order"]
            amount = self.o_first_line_paid[i]
            state = r["claim_state"]
            decided = c.get("decided")
            fast = c["fast"] and decided is not None
            yield {
                "id": str(pk),
                "kind": r["kind"],
                "state": state,
                "amount": money(amount),
                "payable_cap": money(amount + 1000),
                "submitted_at": ts(c["submitted"]),
                "review_due_at": ts(c["review_due"]),
                "review_overdue": val(c["review_overdue"]),
                "decided_at": ts(decided),
                "decided_by_system": val(fast),
                "decided_by_id": NULL,  # the reviewer's decisions are in the StateLog rows
                "decision_rule": "R39 fast track" if fast else "",
                "fast_tracked": val(fast),
                "rejection_reason": "照片与描述不符" if state == "rejected" else "",
                "return_address": (
                    f"杭州市余杭区文一西路 {self.o_shop[i]} 号" if "return_due" in c else ""
                ),
                "return_due_at": ts(c.get("return_due")),
                "return_carrier": c.get("carrier", ""),
                "return_tracking_number": c.get("tracking", ""),
                "return_shipped_at": ts(c.get("shipped")),
                "receipt_due_at": ts(c.get("receipt_due")),
                "refusal_ground": c.get("ground", ""),
                "refusal_note": "包裹是空的" if c.get("ground") else "",
                "refunded_at": ts(c.get("refunded")),
                "closed_at": ts(c.get("closed")),
                "buyer_id": str(self.o_buyer[i]),
                "shop_id": str(self.o_shop[i]),
                "policy_id": str(i + 1),
                "refund_id": str(r["pk"]),
                "line_id": str(self.o_first_line[i]),
            }

    def _claims_with(self, key: str):
        """(pk 1.., the claim's refund plan) of the claims whose plan has `key`."""
        return enumerate((r for r in self.claims if key in r["claim"]), start=1)

    def payouts(self):
        """R35: pending with the payment provider (R114)."""
        for pk, r in self._claims_with("payout"):
            i = r["order"]
            shop = self.o_shop[i]
            yield {
                "id": str(pk),
                "amount": money(self.o_first_line_paid[i]),
                "alipay_account": f"1380013{shop:04d}",
                "alipay_name": "",
                "paid_at": ts(r["claim"]["payout"]),
                "claim_id": str(r["claim"]["pk"]),
                "shop_id": str(shop),
                "state": "pending",
                "submitted_at": NULL,
                "settled_at": NULL,
                "failed_at": NULL,
                "provider_reference": "",
                "failure_reason": "",
            }

    def compensations(self):
        for pk, r in self._claims_with("compensation"):
            yield {
                "id": str(pk),
                "amount": "10.00",
                "paid_at": ts(r["claim"]["compensation"]),
                "buyer_id": str(self.o_buyer[r["order"]]),
                "claim_id": str(r["claim"]["pk"]),
            }

    def breaches(self):
        for pk, r in self._claims_with("breach"):
            cause, at = r["claim"]["breach"]
            yield {
                "id": str(pk),
                "cause": cause,
                "points": "10000",
                "recorded_at": ts(at),
                "state": "settled",
                "settled_at": ts(at + 3 * D),
                "claim_id": str(r["claim"]["pk"]),
                "shop_id": str(self.o_shop[r["order"]]),
            }

    def state_logs(self, claim_ct: int):
        pk = 0
        for r in self.claims:
            c = r["claim"]
            for at, source, target, transition, by, note in r["log"]:
                pk += 1
                yield {
                    "id": str(pk),
                    "timestamp": ts(at),
                    "state": target,
                    "transition": transition,
                    "object_id": str(c["pk"]),
                    "by_id": val(by),
                    "content_type_id": str(claim_ct),
                    "description": note,
                    "source_state": val(source),
                }

    def feedback(self):
        rng = self.rng
        for pk in range(1, round(N_FEEDBACK * self.n_orders / N_ORDERS) + 1):
            r = rng.choice(self.claims)
            c = r["claim"]
            i = r["order"]
            created = min(c["submitted"] + rng.uniform(H, 5 * D), self.now - 60)
            state = rng.choices(["open", "upheld", "dismissed"], [40, 25, 35])[0]
            decided = min(created + rng.uniform(H, 3 * D), self.now) if state != "open" else None
            yield {
                "id": str(pk),
                "category": rng.choice(["repeated_requests", "profiteering", "other"]),
                "description": "该买家短期内多次申请退款",
                "created_at": ts(created),
                "created_by_id": NULL,
                "state": state,
                "outcome_note": "" if state == "open" else "已核实",
                "decided_at": ts(decided),
                "buyer_id": str(self.o_buyer[i]),
                "shop_id": str(self.o_shop[i]),
                "claim_id": str(c["pk"]),
                "policy_id": str(i + 1),
            }
