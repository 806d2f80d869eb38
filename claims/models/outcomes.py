"""What a claim ends in: the payout to the shop and its provider FSM (R35, R36, R114), the
buyer's shipping compensation (R37), the merchant's service breach (R38)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from claims.models.buyers import Buyer
from claims.models.claim import Claim
from claims.models.rules import BREACH_PERMISSION, MONEY
from enrollment.models import Shop
from portal.fsm import state_field


class PayoutState(models.TextChoices):
    """R114: a payout through the payment provider."""

    PENDING = "pending", _("Pending")
    SUBMITTED = "submitted", _("Submitted to the provider")
    SETTLED = "settled", _("Settled")
    FAILED = "failed", _("Failed")


PAYOUT_PERMISSION = "claims.run_payouts"  # R101/R114: finance runs the provider's batches


class Payout(FSMModelMixin, models.Model):
    """R35/R36: the claim paid to the shop's bound Alipay account. One per claim (R42).

    `paid_at` is when the claim was paid (the payout became owed, R35); the money then goes
    out through the payment provider (R114, the `payouts` app): pending -> submitted (in a
    batch) -> settled | failed; a failed payout goes back to pending once the account is
    fixed. `alipay_account` and `alipay_name` are the payee of the latest submission."""

    claim = models.OneToOneField(
        Claim, on_delete=models.PROTECT, related_name="payout", verbose_name=_("claim")
    )
    # No index of its own: (shop, -paid_at, -id) and (shop, -amount, -id) in Meta lead with it,
    # and the sweep inserts a payout per approved claim (issue 10).
    shop = models.ForeignKey(
        Shop,
        on_delete=models.PROTECT,
        related_name="payouts",
        verbose_name=_("shop"),
        db_index=False,
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    alipay_account = models.CharField(_("Alipay account"), max_length=100)
    paid_at = models.DateTimeField(_("paid at"))
    # R114 (the sweep's INSERT … SELECT and bench/dataset.py write these columns too)
    state = state_field(PayoutState.PENDING, max_length=10)
    alipay_name = models.CharField(_("Alipay account name"), max_length=100, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    provider_reference = models.CharField(_("provider reference"), max_length=100, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("claim payout")
        verbose_name_plural = _("claim payouts")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payout_positive")]
        indexes = [
            # the list's order, ties by id: its page and its count read the index alone
            models.Index(fields=["shop", "-paid_at", "-id"], name="payout_shop_paid_at_idx"),
            # the list sorted by amount, either way (issue 11)
            models.Index(fields=["shop", "-amount", "-id"], name="payout_shop_amount_idx"),
            models.Index(fields=["state", "paid_at"], name="payout_state_paid_at"),
        ]
        permissions = [("run_payouts", "Can run payout batches and record their results")]

    def __str__(self):
        return f"{self.claim_id}: {self.amount}"

    # --- transitions (R114; audit rows by django-fsm-log, R40) ---

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=PayoutState.PENDING,
        target=PayoutState.SUBMITTED,
        permission=PAYOUT_PERMISSION,
    )
    def submit(self, *, by=None, at, description="", payee_account: str, payee_name: str):
        """In a batch sent to the provider, to this payee."""
        self.submitted_at = at
        self.alipay_account = payee_account
        self.alipay_name = payee_name

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=PayoutState.SUBMITTED,
        target=PayoutState.SETTLED,
        permission=PAYOUT_PERMISSION,
    )
    def settle(self, *, by=None, at, description="", provider_reference: str):
        self.settled_at = at
        self.provider_reference = provider_reference
        self.failure_reason = ""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=PayoutState.SUBMITTED,
        target=PayoutState.FAILED,
        permission=PAYOUT_PERMISSION,
    )
    def fail(self, *, by=None, at, description="", provider_reference: str, reason: str):
        self.failed_at = at
        self.provider_reference = provider_reference
        self.failure_reason = reason

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=PayoutState.FAILED,
        target=PayoutState.PENDING,
        permission=PAYOUT_PERMISSION,
    )
    def resubmit(self, *, by=None, at, description=""):
        """Back in the queue for the next batch (the service checks the account was fixed)."""


class BuyerCompensation(models.Model):
    """R37: 10.00 shipping compensation to the buyer of a completed return. One per claim (R42)."""

    claim = models.OneToOneField(
        Claim, on_delete=models.PROTECT, related_name="compensation", verbose_name=_("claim")
    )
    buyer = models.ForeignKey(
        Buyer, on_delete=models.PROTECT, related_name="compensations", verbose_name=_("buyer")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    paid_at = models.DateTimeField(_("paid at"))

    class Meta:
        verbose_name = _("buyer shipping compensation")
        verbose_name_plural = _("buyer shipping compensations")

    def __str__(self):
        return f"{self.claim_id}: {self.amount}"


class BreachCause(models.TextChoices):
    REFUSAL_OVERRULED = "refusal_overruled", _("Receipt refused without valid grounds")
    RECEIPT_OVERDUE = "receipt_overdue", _("Return left unconfirmed past the deadline")


class BreachState(models.TextChoices):
    OWED = "owed", _("Points owed to the buyer")
    SETTLED = "settled", _("Settled: points granted")


class ServiceBreach(FSMModelMixin, models.Model):
    """R38: the merchant owed the service and did not perform it: 10,000 points per sub-order."""

    claim = models.OneToOneField(
        Claim, on_delete=models.PROTECT, related_name="breach", verbose_name=_("claim")
    )
    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="breaches", verbose_name=_("shop")
    )
    cause = models.CharField(_("cause"), max_length=20, choices=BreachCause.choices)
    points = models.PositiveIntegerField(_("points owed to the buyer"))
    recorded_at = models.DateTimeField(_("recorded at"))
    state = state_field(BreachState.OWED, max_length=10)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("service breach")
        verbose_name_plural = _("service breaches")

    def __str__(self):
        return f"{self.claim_id}: {self.points}"

    @property
    def settled(self) -> bool:
        """Seed 4-3: once the points are granted the breach no longer counts as a violation."""
        return self.state == BreachState.SETTLED

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=BreachState.OWED,
        target=BreachState.SETTLED,
        permission=BREACH_PERMISSION,
    )
    def settle(self, *, by=None, at, description=""):
        self.settled_at = at
