"""The ingestion benchmark's workload (bench/ingest.py, bench/callbacks.py): self-contained
batches of platform events built by `platform_api.events`, for the bench shop."""

import datetime as dt

SHOP_ID = "TM-BENCH-1"
ORDERS_PER_BATCH = 250  # x 4 events = 1,000 events per batch (R80's maximum)


class Workload:
    """Self-contained batches: 250 orders placed, shipped, received, then a refund request on
    each (covered reasons mostly, so most become claims; some fast-tracked, R39)."""

    def __init__(self, seed=1):
        from django.utils import timezone

        self.seed = seed
        self.now = timezone.now()

    def batch(self, tag: str) -> list[dict]:
        orders = [self._order(f"{tag}-{n:03d}") for n in range(ORDERS_PER_BATCH)]
        return [e for stage in zip(*orders, strict=True) for e in stage]

    def batch_of(self, tag: str, stage: int, count: int, **refund) -> list[dict]:
        """One stage (0 placed, 1 shipped, 2 received, 3 refund requested) of `count` orders."""
        return [self._order(f"{tag}-{n:03d}", **refund)[stage] for n in range(count)]

    def _order(self, order_id: str, *, tier=None, reason=None, kind=None, price=None):
        """The same id always gives the same order. A given `tier` comes with a buyer of
        its own (no claim history, so R39 fast track applies when the amount is small)."""
        import random

        from platform_api import events as build
        from simulator.market import image_evidence

        rng = random.Random(f"{self.seed}-{order_id}")
        placed = self.now - dt.timedelta(days=5 + rng.random() * 45)
        shipped, received = placed + dt.timedelta(hours=3), placed + dt.timedelta(days=2)
        requested = received + dt.timedelta(days=rng.random() * 3)
        paid = f"{price or rng.choice([99, 199, 299, 599, 1299])}.00"
        line_id = f"{order_id}-1"
        line = build.order_line(
            line_id, sku="SKU-B", title="电热水壶", quantity=1, paid_amount=paid
        )
        buyer_id = f"U-{order_id}" if tier else f"BB-{rng.randrange(50_000)}"
        credit_tier = tier or rng.randint(1, 5)
        refund = build.refund_requested(
            f"{order_id}-R",
            order_id=order_id,
            line_id=line_id,
            kind=kind or rng.choice(["refund_only", "return_and_refund"]),
            reason=reason or rng.choices(["quality_issue", "wrong_size"], [70, 30])[0],
            amount=paid,
            requested_at=requested,
            description="用了两天就坏了",
            images=[image_evidence(rng, order_id)],
        )
        return [
            build.order_placed(
                order_id,
                shop_id=SHOP_ID,
                buyer_id=buyer_id,
                credit_tier=credit_tier,
                placed_at=placed,
                lines=[line],
            ),
            build.order_shipped(order_id, shipped_at=shipped),
            build.order_received(order_id, received_at=received),
            refund,
        ]
