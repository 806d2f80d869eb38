from django.db import models


class Item(models.Model):
    """A policy-like row: an owner (~200 of them), a time, a number, money, a status."""

    owner_id = models.IntegerField()
    number = models.CharField(max_length=32)
    created_at = models.DateTimeField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    rate = models.DecimalField(max_digits=6, decimal_places=4)
    status = models.CharField(max_length=20)
    note = models.CharField(max_length=64, blank=True)

    class Meta:
        # 3 indexes besides the primary key, as on claims_policy: (shop, -issued_at, -id),
        # (shop, claim_status, coverage_end) and the unique policy number. A constraint,
        # not unique=True, so that PostgreSQL gets no extra varchar_pattern_ops index.
        constraints = [models.UniqueConstraint(fields=["number"], name="item_number_uniq")]
        indexes = [
            models.Index(fields=["owner_id", "-created_at", "-id"], name="item_owner_time_idx"),
            models.Index(fields=["owner_id", "status", "created_at"], name="item_owner_status_idx"),
        ]

    def __str__(self):
        return self.number
