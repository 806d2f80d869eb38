"""Per-shop rollups of the merchant figures (issue 10), written by `claims.rollups` only.

Each row is a sum of deltas the writes add in their own transaction; `rebuild_rollups`
recomputes them from the raw rows. Days are Asia/Shanghai calendar dates (R2), money is
exact CNY (R1).
"""

from django.db import models

from claims.models import MONEY  # defined before claims.models imports this module
from enrollment.models import Shop

TOTAL = {**MONEY, "default": 0}  # R1: a sum of deltas starts at 0.00


class ShopDay(models.Model):
    """A shop's day: policies issued and their premiums (R21/R22), payouts to the shop (R35,
    by paid_at), the buyers' 10.00 (R37, by paid_at), breaches recorded (R38)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    policies = models.BigIntegerField(default=0)
    premiums = models.DecimalField(**TOTAL)
    payouts = models.BigIntegerField(default=0)
    payouts_amount = models.DecimalField(**TOTAL)
    compensations = models.BigIntegerField(default=0)
    compensations_amount = models.DecimalField(**TOTAL)
    breaches = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "day"], name="shop_day_key")]

    def __str__(self):
        return f"{self.shop_id} {self.day}"


class ShopDayReason(models.Model):
    """Claims opened (R30, by submitted_at) on a shop's day, per refund reason."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    reason = models.CharField(max_length=32)
    claims = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "day", "reason"], name="shop_day_reason_key")
        ]

    def __str__(self):
        return f"{self.shop_id} {self.day} {self.reason}"


class ShopClaimState(models.Model):
    """How many of a shop's claims are in each R41 state now."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=20)
    claims = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "state"], name="shop_claim_state_key")
        ]

    def __str__(self):
        return f"{self.shop_id} {self.state}"
