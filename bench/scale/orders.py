"""The dataset's buyers, orders, order lines (sub-orders) and policies (one per order).

`orders()` keeps, per order (index = id - 1), what the later tables need: its shop, buyer,
amount paid, shipping and receipt times, first line and premium rate.
"""

import bisect

from bench.scale.plan import N_BUYERS, N_SHOPS, PRICES, TITLES, D, H, money, ts


class OrderRows:
    """Needs `rng`, `now`, `start`, `n_orders`, `shop_weights()` and `rate_at()`."""

    def orders(self):
        rng = self.rng
        n = self.n_orders
        cum = []
        total = 0.0
        for w in self.shop_weights():
            total += w
            cum.append(total)
        span = (self.now - 31 * H) - self.start
        self.o_shop = [0] * n
        self.o_buyer = [0] * n
        self.o_paid = [0] * n
        self.o_shipped = [0.0] * n
        self.o_received: list[float | None] = [None] * n
        self.o_first_line = [0] * n
        self.o_first_line_paid = [0] * n
        self.o_rate = [0] * n
        self.lines: list[dict] = []
        line_pk = 0
        for i in range(n):
            pk = i + 1
            shop = bisect.bisect_left(cum, rng.random() * total) + 1
            buyer = rng.randint(1, N_BUYERS)
            placed = self.start + span * i / n + rng.random() * 600
            shipped = placed + rng.uniform(2 * H, 30 * H)
            received = shipped + rng.uniform(1 * D, 5 * D)
            r = rng.random()
            count = 1 if r < 0.75 else 2 if r < 0.95 else 3
            paid = 0
            for k in range(count):
                line_pk += 1
                quantity = 1 if rng.random() < 0.9 else 2
                line_paid = rng.choice(PRICES) * quantity
                paid += line_paid
                if k == 0:
                    self.o_first_line[i] = line_pk
                    self.o_first_line_paid[i] = line_paid
                self.lines.append(
                    {
                        "id": str(line_pk),
                        "platform_line_id": f"{pk}-{k + 1}",
                        "sku": f"SKU-{rng.randint(1, 5000):05d}",
                        "title": rng.choice(TITLES),
                        "quantity": str(quantity),
                        "paid_amount": money(line_paid),
                        "order_id": str(pk),
                    }
                )
            rate = self.rate_at(shop, placed)
            self.o_shop[i], self.o_buyer[i], self.o_paid[i] = shop, buyer, paid
            self.o_shipped[i], self.o_rate[i] = shipped, rate
            self.o_received[i] = received if received < self.now else None
            yield {
                "id": str(pk),
                "platform_order_id": f"T{pk:010d}",
                "paid_amount": money(paid),
                "placed_at": ts(placed),
                "insured": "t",
                "rate": f"0.{rate:04d}",
                "shipped_at": ts(shipped),
                "received_at": ts(self.o_received[i]),
                "buyer_id": str(buyer),
                "shop_id": str(shop),
            }

    def order_lines(self):
        lines, self.lines = self.lines, []
        yield from lines

    def premium(self, i: int) -> int:
        """R1, R22: paid x rate, rounded half-up to the fen (cents; rate in basis points)."""
        return (self.o_paid[i] * self.o_rate[i] + 5000) // 10000

    def policies(self, claim_status: dict[int, str]):
        for i in range(self.n_orders):
            pk = i + 1
            received = self.o_received[i]
            yield {
                "id": str(pk),
                "policy_no": f"WP{pk:012d}",
                "premium": money(self.premium(i)),
                "rate": f"0.{self.o_rate[i]:04d}",
                "issued_at": ts(self.o_shipped[i]),
                "coverage_start": ts(received),
                "coverage_end": ts(received + 720 * H if received else None),
                "claim_status": claim_status.get(pk, "none"),
                "order_id": str(pk),
                "shop_id": str(self.o_shop[i]),
            }

    def buyers(self, ineligible: dict[int, float]):
        """R62: the buyers in `ineligible` had their eligibility revoked at that time."""
        rng = self.rng
        for pk in range(1, N_BUYERS + 1):
            tier = rng.choices([1, 2, 3, 4, 5], [5, 10, 40, 30, 15])[0]
            revoked = pk in ineligible
            yield {
                "id": str(pk),
                "platform_buyer_id": f"B{pk:08d}",
                "credit_tier": str(tier),
                "eligibility": "revoked" if revoked else "eligible",
                "revoked_at": ts(ineligible[pk]) if revoked else r"\N",
                "revoke_reason": "repeated profiteering (bench data)" if revoked else "",
                "credit_impact": "credit rating lowered" if revoked else "",
                "revoked_by_id": str(N_SHOPS + 1) if revoked else r"\N",
            }
