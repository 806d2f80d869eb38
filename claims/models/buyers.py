"""Buyers, their eligibility (R62), and the merchants' reports of buyer problems (R60)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from claims.models.rules import BUYER_PERMISSION, REVIEW_PERMISSION
from enrollment.models import Shop
from portal.fields import actor_field
from portal.fsm import state_field


class Eligibility(models.TextChoices):
    ELIGIBLE = "eligible", _("Eligible")
    REVOKED = "revoked", _("Eligibility revoked")


class Buyer(FSMModelMixin, models.Model):
    platform_buyer_id = models.CharField(_("platform buyer id"), max_length=64, unique=True)
    credit_tier = models.PositiveSmallIntegerField(_("credit tier"), default=3)
    # R62: the insurer may strip a buyer of the service (a transition, R40).
    eligibility = state_field(Eligibility.ELIGIBLE, max_length=10, verbose_name=_("eligibility"))
    revoked_at = models.DateTimeField(_("eligibility revoked at"), null=True, blank=True)
    revoked_by = actor_field(_("revoked by"), blank=True)
    revoke_reason = models.TextField(_("reason"), blank=True)
    credit_impact = models.CharField(_("credit impact recorded"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("buyer")
        verbose_name_plural = _("buyers")
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_tier__gte=1) & Q(credit_tier__lte=5),
                name="buyer_credit_tier_1_5",
            )
        ]

    def __str__(self):
        return self.platform_buyer_id

    @property
    def eligible(self) -> bool:
        return self.eligibility == Eligibility.ELIGIBLE

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=eligibility,
        source=Eligibility.ELIGIBLE,
        target=Eligibility.REVOKED,
        permission=BUYER_PERMISSION,
    )
    def revoke(self, *, by=None, at, description, credit_impact):
        """R62: later requests from this buyer are merchant-handled; credit impact recorded."""
        self.revoked_at = at
        self.revoked_by = by
        self.revoke_reason = description
        self.credit_impact = credit_impact


class FeedbackCategory(models.TextChoices):
    REPEATED_REQUESTS = "repeated_requests", _("Repeated requests in a short period")
    PROFITEERING = "profiteering", _("Suspected deliberate profiteering")
    OTHER = "other", _("Other")


class FeedbackState(models.TextChoices):
    OPEN = "open", _("Waiting for the insurer")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class BuyerFeedback(FSMModelMixin, models.Model):
    """R60: a merchant's report of a buyer problem (反馈买家问题)."""

    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="buyer_feedback", verbose_name=_("shop")
    )
    buyer = models.ForeignKey(
        Buyer, on_delete=models.PROTECT, related_name="feedback", verbose_name=_("buyer")
    )
    policy = models.ForeignKey(
        "claims.Policy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("policy"),
    )
    claim = models.ForeignKey(
        "claims.Claim",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("claim"),
    )
    category = models.CharField(_("category"), max_length=20, choices=FeedbackCategory.choices)
    description = models.TextField(_("description"))
    created_by = actor_field(_("reported by"))
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)
    state = state_field(FeedbackState.OPEN, max_length=12)
    outcome_note = models.TextField(_("insurer's note"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("buyer feedback")
        verbose_name_plural = _("buyer feedback")
        indexes = [
            models.Index(fields=["shop", "-created_at"]),
            models.Index(fields=["state", "created_at"]),
        ]

    def __str__(self):
        return f"{self.buyer} ({self.get_category_display()})"

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=FeedbackState.OPEN,
        target=FeedbackState.UPHELD,
        permission=REVIEW_PERMISSION,
    )
    def uphold(self, *, by=None, at, description=""):
        self.decided_at = at
        self.outcome_note = description

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=FeedbackState.OPEN,
        target=FeedbackState.DISMISSED,
        permission=REVIEW_PERMISSION,
    )
    def dismiss(self, *, by=None, at, description=""):
        self.decided_at = at
        self.outcome_note = description
