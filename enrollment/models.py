"""Shops, invitations, enrollment periods and premium rates (R10-R16, R50-R52).

Models hold fields, constraints and FSM transitions (guards and field assignments only).
Every write goes through `enrollment.services`; every read a page needs through
`enrollment.selectors`.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMModelMixin, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from enrollment.validators import validate_alipay_account, validate_alipay_name, validate_phone
from portal.clock import local_date
from portal.fields import actor_field
from portal.fsm import is_shop_merchant, state_field

# R15: a shop that exited may apply again on or after the Asia/Shanghai exit date + 91 days.
REENTRY_AFTER_DAYS = 91


class Industry(models.TextChoices):
    HOME_APPLIANCES = "home_appliances", _("Home appliances")


class Shop(models.Model):
    platform_shop_id = models.CharField(_("platform shop id"), max_length=64, unique=True)
    name = models.CharField(_("shop name"), max_length=200)
    industry = models.CharField(
        _("industry"), max_length=32, choices=Industry.choices, default=Industry.HOME_APPLIANCES
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.platform_shop_id})"


# R100/R101: who may be a merchant user: never insurer staff or a superuser. (The one-to-one
# link to the user is the database's guarantee that a merchant user belongs to one shop.)
MERCHANT_USERS = {"is_staff": False, "is_superuser": False}


class Merchant(models.Model):
    """A merchant user belongs to exactly one shop (R100)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="merchant",
        limit_choices_to=MERCHANT_USERS,
        verbose_name=_("user"),
    )
    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, related_name="merchants", verbose_name=_("shop")
    )

    class Meta:
        verbose_name = _("merchant user")
        verbose_name_plural = _("merchant users")

    def __str__(self):
        return f"{self.user.get_username()} @ {self.shop.name}"


class InvitationState(models.TextChoices):
    # Expiry and use are not states: an invitation expires with time and is used by an
    # enrollment (selectors.invitation_live). Revocation is the one change staff make (R40).
    ISSUED = "issued", pgettext_lazy("invitation state", "Issued")
    REVOKED = "revoked", pgettext_lazy("invitation state", "Revoked")


INVITE_PERMISSION = "enrollment.change_invitation"  # the underwriter's (R101)


class Invitation(FSMModelMixin, models.Model):
    """R10: admission is by invitation only (行业定向邀请)."""

    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("shop")
    )
    contact_email = models.EmailField(_("contact e-mail"))
    expires_at = models.DateTimeField(_("expires at"))
    invited_by = actor_field(_("invited by"), blank=True)
    created_at = models.DateTimeField(_("invited at"), default=timezone.now)
    state = state_field(InvitationState.ISSUED, max_length=10)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["shop", "expires_at"])]
        constraints = [
            # R40: a revoked invitation says when; an issued one was never revoked.
            models.CheckConstraint(
                condition=Q(state="issued", revoked_at__isnull=True)
                | Q(state="revoked", revoked_at__isnull=False),
                name="invitation_revoked_has_time",
            ),
        ]

    def __str__(self):
        return _("Invitation of %(shop)s") % {"shop": self.shop.name}

    # --- transitions (R10; audit rows by django-fsm-log, R40) ---

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=InvitationState.ISSUED,
        target=InvitationState.REVOKED,
        permission=INVITE_PERMISSION,
        custom={"label": _("Revoke")},  # the admin's bulk action (InvitationAdmin.revoke)
    )
    def revoke(self, *, by, at: dt.datetime, description: str = ""):
        """R10: the shop can no longer apply with this invitation."""
        self.revoked_at = at


class EnrollmentState(models.TextChoices):
    PENDING = "pending", _("Under review")
    ACTIVE = "active", _("Active")
    EXIT_REQUESTED = "exit_requested", _("Exit requested")
    EXITED = "exited", _("Exited")
    REJECTED = "rejected", _("Rejected")


# States in which a shop has an application or a service running: at most one at a time.
OPEN_STATES = [EnrollmentState.PENDING, EnrollmentState.ACTIVE, EnrollmentState.EXIT_REQUESTED]
# States in which the service is in force (orders placed now are insured).
IN_FORCE_STATES = [EnrollmentState.ACTIVE, EnrollmentState.EXIT_REQUESTED]

DECIDE_PERMISSION = "enrollment.decide_enrollment"


class Enrollment(FSMModelMixin, models.Model):
    """One application and, once approved, one enrollment period [effective_at, exited_at) (R16)."""

    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("shop")
    )
    invitation = models.ForeignKey(
        Invitation,
        on_delete=models.PROTECT,
        related_name="enrollments",
        verbose_name=_("invitation"),
    )
    state = state_field(EnrollmentState.PENDING, max_length=20)
    # R11: what the merchant confirms when applying.
    alipay_account = models.CharField(
        _("bound Alipay payout account"), max_length=100, validators=[validate_alipay_account]
    )
    # R114: the payee name the payment provider checks against the account (real name or
    # company name); blank on periods from before payouts went through the provider.
    alipay_name = models.CharField(
        _("Alipay account name"), max_length=100, blank=True, validators=[validate_alipay_name]
    )
    return_contact = models.CharField(_("return contact"), max_length=50)
    return_phone = models.CharField(_("return phone"), max_length=20, validators=[validate_phone])
    return_address = models.CharField(_("default return address"), max_length=300)
    terms_accepted_at = models.DateTimeField(_("terms accepted at"))

    applied_by = actor_field(_("applied by"))
    applied_at = models.DateTimeField(_("applied at"), default=timezone.now)
    reviewed_by = actor_field(_("reviewed by"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    effective_at = models.DateTimeField(_("effective at"), null=True, blank=True)
    exit_requested_at = models.DateTimeField(_("exit requested at"), null=True, blank=True)
    exit_reason = models.TextField(_("exit reason"), blank=True)
    exited_at = models.DateTimeField(_("exited at"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["-applied_at"]
        permissions = [("decide_enrollment", "Can approve, reject and exit enrollments")]
        constraints = [
            # R11: one application or running service per shop at a time, whatever the concurrency.
            models.UniqueConstraint(
                fields=["shop"],
                condition=Q(state__in=["pending", "active", "exit_requested"]),
                name="enrollment_one_open_per_shop",
            ),
            # R12/R16: an approved period has a start; an exited one ends after it starts.
            models.CheckConstraint(
                condition=Q(state__in=["pending", "rejected"]) | Q(effective_at__isnull=False),
                name="enrollment_period_has_start",
            ),
            models.CheckConstraint(
                condition=~Q(state="exited") | Q(exited_at__isnull=False),
                name="enrollment_exited_has_end",
            ),
            models.CheckConstraint(
                condition=Q(exited_at__isnull=True) | Q(exited_at__gte=models.F("effective_at")),
                name="enrollment_period_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["shop", "effective_at", "exited_at"])]

    def __str__(self):
        return _("Enrollment of %(shop)s (%(state)s)") % {
            "shop": self.shop.name,
            "state": self.get_state_display(),
        }

    # --- transitions (R12, R13; audit rows by django-fsm-log, R40) ---

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=EnrollmentState.PENDING,
        target=EnrollmentState.ACTIVE,
        permission=DECIDE_PERMISSION,
        custom={"label": _("Approve")},
    )
    def approve(self, *, by, at: dt.datetime, description: str = ""):
        """R12: the service is effective at once."""
        self.reviewed_by = by
        self.reviewed_at = at
        self.effective_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=EnrollmentState.PENDING,
        target=EnrollmentState.REJECTED,
        permission=DECIDE_PERMISSION,
        custom={"label": _("Reject")},
    )
    def reject(self, *, by, at: dt.datetime, description: str):
        self.reviewed_by = by
        self.reviewed_at = at
        self.rejection_reason = description

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=EnrollmentState.ACTIVE,
        target=EnrollmentState.EXIT_REQUESTED,
        permission=is_shop_merchant,
        custom={"label": _("Request exit"), "admin": False},
    )
    def request_exit(self, *, by, at: dt.datetime, description: str = ""):
        """R13: the merchant asks; staff carry the exit out."""
        self.exit_requested_at = at
        self.exit_reason = description

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=EnrollmentState.EXIT_REQUESTED,
        target=EnrollmentState.ACTIVE,
        permission=is_shop_merchant,
        custom={"label": _("Withdraw exit request"), "admin": False},
    )
    def withdraw_exit_request(self, *, by, description: str = ""):
        self.exit_requested_at = None
        self.exit_reason = ""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=IN_FORCE_STATES,
        target=EnrollmentState.EXITED,
        permission=DECIDE_PERMISSION,
        custom={"label": _("Carry out exit")},
    )
    def exit(self, *, by, at: dt.datetime, description: str = ""):
        """R13: exit takes effect at `exited_at`."""
        self.exited_at = at

    # --- derived values ---

    @property
    def is_in_force(self) -> bool:
        return self.state in IN_FORCE_STATES

    @property
    def exit_date(self) -> dt.date | None:
        return local_date(self.exited_at) if self.exited_at else None

    @property
    def reentry_date(self) -> dt.date | None:
        """R15: the first Asia/Shanghai date on which the shop may apply again."""
        if self.exited_at is None:
            return None
        return self.exit_date + dt.timedelta(days=REENTRY_AFTER_DAYS)


class RateSource(models.TextChoices):
    MODEL = "model", _("Risk model")
    MANUAL = "manual", _("Underwriter override")


class PremiumRate(models.Model):
    """R50: one entry of a shop's rate history; the rate in force at T is the latest <= T."""

    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, related_name="rates", verbose_name=_("shop")
    )
    rate = models.DecimalField(
        _("premium rate"),
        max_digits=6,
        decimal_places=4,
        help_text=_("As a fraction of the order amount: 0.0150 = 1.50%."),
    )
    effective_from = models.DateTimeField(_("effective from"), default=timezone.now)
    source = models.CharField(_("source"), max_length=10, choices=RateSource.choices)
    reason = models.TextField(_("reason"))
    inputs = models.JSONField(_("model inputs"), default=dict, blank=True)
    created_by = actor_field(_("set by"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("premium rate")
        verbose_name_plural = _("premium rates")
        ordering = ["-effective_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gt=0) & Q(rate__lt=1), name="premium_rate_between_0_and_1"
            ),
        ]
        indexes = [models.Index(fields=["shop", "-effective_from", "-id"])]
        permissions = [("override_rate", "Can override a shop's premium rate (R52)")]

    def __str__(self):
        from portal.money import percent

        return f"{self.shop.name}: {percent(self.rate)}"


class IndustryPricing(models.Model):
    """R51 insurer settings: the industry base rate and the bounds every rate is clamped to."""

    industry = models.CharField(_("industry"), max_length=32, choices=Industry.choices, unique=True)
    base_rate = models.DecimalField(_("industry base rate"), max_digits=6, decimal_places=4)
    min_rate = models.DecimalField(_("lowest rate"), max_digits=6, decimal_places=4)
    max_rate = models.DecimalField(_("highest rate"), max_digits=6, decimal_places=4)

    class Meta:
        verbose_name = _("industry pricing")
        verbose_name_plural = _("industry pricing")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_rate__gt=0)
                & Q(min_rate__lte=models.F("base_rate"))
                & Q(base_rate__lte=models.F("max_rate"))
                & Q(max_rate__lt=1),
                name="industry_pricing_bounds_ordered",
            ),
        ]

    def __str__(self):
        return str(self.get_industry_display())
