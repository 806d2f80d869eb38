"""Orders and their sub-orders (R20), and the policy issued for each order (R21-R24)."""

import datetime as dt
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from claims.models.buyers import Buyer
from claims.models.rules import MONEY, RETURN_SHIPPING
from enrollment.models import Shop


class Order(models.Model):
    platform_order_id = models.CharField(_("order id"), max_length=64, unique=True)
    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="orders", verbose_name=_("shop")
    )
    buyer = models.ForeignKey(
        Buyer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("buyer")
    )
    paid_amount = models.DecimalField(_("paid amount"), **MONEY)
    placed_at = models.DateTimeField(_("placed at"))
    # R20: decided once, at placement: was the shop enrolled then, and at what rate (R22)?
    insured = models.BooleanField(_("insured"))
    rate = models.DecimalField(_("premium rate"), max_digits=6, decimal_places=4, null=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="order_paid_not_negative"),
            models.CheckConstraint(
                condition=Q(insured=False) | Q(rate__isnull=False), name="order_insured_has_rate"
            ),
        ]

    def __str__(self):
        return self.platform_order_id


class OrderLine(models.Model):
    """A sub-order (子订单)."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order")
    )
    platform_line_id = models.CharField(_("sub-order id"), max_length=64)
    sku = models.CharField(_("SKU"), max_length=64)
    title = models.CharField(_("item"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity"))
    paid_amount = models.DecimalField(_("paid amount"), **MONEY)

    class Meta:
        verbose_name = _("sub-order")
        verbose_name_plural = _("sub-orders")
        constraints = [
            models.UniqueConstraint(
                fields=["order", "platform_line_id"], name="line_unique_in_order"
            ),
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="line_paid_not_negative"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="line_quantity_positive"),
        ]
        indexes = [models.Index(fields=["sku"])]

    def __str__(self):
        return f"{self.order.platform_order_id}/{self.platform_line_id}"

    @property
    def payable_cap(self) -> Decimal:
        """R36: the most a claim on this line pays: the line's paid amount + 10.00."""
        return self.paid_amount + RETURN_SHIPPING


class PolicyClaimStatus(models.TextChoices):
    NONE = "none", _("No claim")
    IN_PROGRESS = "claim_in_progress", _("Claim in progress")
    PAID = "claim_paid", _("Claim paid")
    CLOSED = "claim_closed", _("Claim closed")


def policy_claim_status(open_: int, paid: int, closed: int) -> str:
    """R24: a policy shows its claims' outcome: in progress while any claim is open, else
    paid if any was paid, else closed if any closed (counts of its claims in each)."""
    if open_:
        return PolicyClaimStatus.IN_PROGRESS
    if paid:
        return PolicyClaimStatus.PAID
    if closed:
        return PolicyClaimStatus.CLOSED
    return PolicyClaimStatus.NONE


class PolicyStatus(models.TextChoices):
    """R24, with the API's snake_case names (R87)."""

    AWAITING_RECEIPT = "awaiting_receipt", _("Awaiting receipt")
    IN_COVERAGE = "in_coverage", _("In coverage")
    EXPIRED = "expired", _("Expired")
    CLAIM_IN_PROGRESS = "claim_in_progress", _("Claim in progress")
    CLAIM_PAID = "claim_paid", _("Claim paid")
    CLAIM_CLOSED = "claim_closed", _("Claim closed")


class Policy(models.Model):
    """R21: one policy per order, issued at shipment, covering every line."""

    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, related_name="policy", verbose_name=_("order")
    )
    shop = models.ForeignKey(  # no index of its own: (shop, issued_at, id) in Meta leads with it
        Shop,
        on_delete=models.PROTECT,
        related_name="policies",
        verbose_name=_("shop"),
        db_index=False,
    )
    # Unique by a constraint (Meta), not unique=True: on PostgreSQL unique=True adds a second
    # index (varchar_pattern_ops, for LIKE 'prefix%') that no query asks for and every
    # policy written pays for (issue 10). Searched by the exact number (admin_kit).
    policy_no = models.CharField(_("policy number"), max_length=32)
    premium = models.DecimalField(_("premium"), **MONEY)
    rate = models.DecimalField(_("premium rate"), max_digits=6, decimal_places=4)
    issued_at = models.DateTimeField(_("issued at"))
    coverage_start = models.DateTimeField(_("coverage start"), null=True, blank=True)
    coverage_end = models.DateTimeField(_("coverage end"), null=True, blank=True)
    # Kept by the claim services so lists can filter by status without joining claims.
    claim_status = models.CharField(
        max_length=20,
        choices=PolicyClaimStatus.choices,
        default=PolicyClaimStatus.NONE,
        verbose_name=_("claim status"),
    )

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        constraints = [
            models.CheckConstraint(condition=Q(premium__gte=0), name="policy_premium_not_negative"),
            models.UniqueConstraint(fields=["policy_no"], name="policy_no_unique"),
        ]
        indexes = [
            models.Index(fields=["shop", "-issued_at", "-id"]),
            models.Index(fields=["shop", "claim_status", "coverage_end"]),
            # the list filtered by status (R24), newest first (issue 10)
            models.Index(
                fields=["shop", "claim_status", "-issued_at", "-id"], name="policy_shop_status_idx"
            ),
            # the list sorted by premium, either way (issue 11)
            models.Index(fields=["shop", "-premium", "-id"], name="policy_shop_premium_idx"),
            models.Index(
                fields=["shop", "claim_status", "-premium", "-id"],
                name="policy_status_premium_idx",
            ),
        ]

    def __str__(self):
        return self.policy_no

    def status(self, now: dt.datetime | None = None) -> str:
        """R24: what the merchant sees."""
        if self.claim_status != PolicyClaimStatus.NONE:
            return self.claim_status
        if self.coverage_start is None:
            return PolicyStatus.AWAITING_RECEIPT
        now = now or timezone.now()
        return PolicyStatus.IN_COVERAGE if now <= self.coverage_end else PolicyStatus.EXPIRED
