"""Every write of the enrollment app: one audited service per state change (R10-R16, R50, R52;
the risk model's repricing, R51, is `enrollment.repricing`).

Each service locks what it changes and fires the FSM transition through `portal.fsm` (which
checks the actor's permission, writes the audit row and saves), and schedules any e-mail
after commit. Bad input raises ValidationError with one of the messages below, an actor
without the transition's permission one with code "forbidden"; either changes nothing.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment import repricing, selectors
from enrollment.models import (
    Enrollment,
    EnrollmentState,
    Invitation,
    InvitationState,
    Merchant,
    PremiumRate,
    RateSource,
    Shop,
)
from portal import audit, fsm
from portal.clock import local_date
from portal.formats import format_date
from portal.formkit import REASON_REQUIRED
from portal.money import percent
from portal.money import rate as as_rate

User = get_user_model()

NO_LIVE_INVITATION = _(
    "Your shop has no live invitation to the program. Admission is by invitation only: "
    "please contact your insurer service specialist."
)
ALREADY_OPEN = _("Your shop already has an application under review or a service running.")
TOO_EARLY_TO_REAPPLY = _(
    "Your shop exited the program on %(exit_date)s and may apply again from %(date)s."
)
TERMS_NOT_ACCEPTED = _("Please read and accept the service terms.")
SHOP_ALREADY_ENROLLED = _("This shop already has an application under review or a service running.")
INVITATION_EXPIRY_PAST = _("The invitation must expire in the future.")
EMAIL_TAKEN = _("This e-mail already belongs to a user of another shop or of the insurer.")
RATE_NOT_A_NUMBER = _("Enter the rate as a number, e.g. 0.0150 for 1.50%.")
RATE_OUT_OF_BOUNDS = _(
    "The rate must be between %(min)s and %(max)s, the insurer's bounds for this industry "
    "(enter 0.0150 for 1.50%%)."
)
RATE_IN_PAST = _(
    "An override cannot take effect in the past: premiums already charged would change."
)
NOT_ALLOWED = _("This action is not possible in the enrollment's current state (%(state)s).")
SHOP_NOT_IN_FORCE = _("The shop has no service running.")
ALREADY_REVOKED = _("This invitation is already revoked.")


def _not_allowed(enrollment: Enrollment) -> ValidationError:
    return ValidationError(NOT_ALLOWED % {"state": enrollment.get_state_display()}, code="state")


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(REASON_REQUIRED, code="reason")
    return reason


# --- invitations (R10) ---


def invitation_check(*, platform_shop_id: str, contact_email: str, expires_at: dt.datetime) -> None:
    """R10: raise what is wrong with an invitation before anything is written."""
    if expires_at is None or expires_at <= timezone.now():
        raise ValidationError({"expires_at": INVITATION_EXPIRY_PAST})
    shop = Shop.objects.filter(platform_shop_id=platform_shop_id.strip()).first()
    if shop is not None and selectors.enrollment_open(shop=shop) is not None:
        raise ValidationError({"platform_shop_id": SHOP_ALREADY_ENROLLED})
    user = (
        User.objects.filter(username__iexact=_normal_email(contact_email))
        .select_related("merchant")
        .first()
    )
    if user is not None:
        merchant = getattr(user, "merchant", None)
        if merchant is None or shop is None or merchant.shop_id != shop.pk:
            raise ValidationError({"contact_email": EMAIL_TAKEN})


def _normal_email(email: str) -> str:
    return User.objects.normalize_email((email or "").strip()).lower()


@transaction.atomic
def invitation_create(
    *,
    platform_shop_id: str,
    shop_name: str,
    contact_email: str,
    expires_at: dt.datetime,
    actor,
    industry: str = "home_appliances",
    note: str = "",
) -> Invitation:
    """R10: invite a shop (created on first invitation) and give its contact a merchant login."""
    platform_shop_id, shop_name = platform_shop_id.strip(), shop_name.strip()
    existing = Shop.objects.select_for_update().filter(platform_shop_id=platform_shop_id).first()
    invitation_check(
        platform_shop_id=platform_shop_id, contact_email=contact_email, expires_at=expires_at
    )
    if existing is None:
        shop = Shop.objects.create(
            platform_shop_id=platform_shop_id, name=shop_name, industry=industry
        )
    else:
        shop = existing
        if shop.name != shop_name:
            shop.name = shop_name
            shop.save(update_fields=["name"])
    email = _normal_email(contact_email)
    user = User.objects.filter(username__iexact=email).first()
    if user is None:
        user = User.objects.create_user(username=email, email=email)  # no password until set
        Merchant.objects.create(user=user, shop=shop)
    invitation = Invitation.objects.create(
        shop=shop, contact_email=email, expires_at=expires_at, invited_by=actor, note=note
    )
    audit.log_created(
        invitation, by=actor, state=InvitationState.ISSUED, transition="invite", description=note
    )
    from enrollment.tasks import send_invitation_email

    transaction.on_commit(
        lambda: send_invitation_email.enqueue(invitation_id=invitation.pk, user_id=user.pk)
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation_id: int, actor, note: str = "") -> Invitation:
    """R10/R40: the shop can no longer apply with this invitation; an audited transition.
    Revoking a revoked invitation is refused (code "state") and changes nothing."""
    invitation = fsm.lock(Invitation.objects.all(), pk=invitation_id)
    fsm.fire(
        invitation,
        "revoke",
        by=actor,
        refused=lambda: ValidationError(ALREADY_REVOKED, code="state"),
        at=timezone.now(),
        description=note,
    )
    return invitation


# --- applications (R10, R11, R15) ---


def enrollment_can_apply(*, shop: Shop, at: dt.datetime | None = None) -> None:
    """Raise the message a merchant sees when the shop may not apply now (R10, R11, R15)."""
    at = at or timezone.now()
    if selectors.enrollment_open(shop=shop) is not None:
        raise ValidationError(ALREADY_OPEN, code="open")
    last_exit = selectors.enrollment_last_exited(shop=shop)
    if last_exit is not None and local_date(at) < last_exit.reentry_date:  # R15
        raise ValidationError(
            TOO_EARLY_TO_REAPPLY
            % {
                "exit_date": format_date(last_exit.exit_date),  # issue 11: the one date format
                "date": format_date(last_exit.reentry_date),
            },
            code="reentry",
        )
    if selectors.invitation_live(shop=shop, at=at) is None:
        raise ValidationError(NO_LIVE_INVITATION, code="invitation")


@transaction.atomic
def enrollment_apply(
    *,
    shop: Shop,
    actor,
    alipay_account: str,
    return_contact: str,
    return_phone: str,
    return_address: str,
    accept_terms: bool,
    alipay_name: str = "",
) -> Enrollment:
    """R11: the merchant applies; the application waits for an underwriter."""
    Shop.objects.select_for_update().get(pk=shop.pk)  # serialise two applications of one shop
    now = timezone.now()
    enrollment_can_apply(shop=shop, at=now)
    if not accept_terms:
        raise ValidationError({"accept_terms": TERMS_NOT_ACCEPTED})
    enrollment = Enrollment(
        shop=shop,
        invitation=selectors.invitation_live(shop=shop, at=now),
        alipay_account=(alipay_account or "").strip(),
        alipay_name=(alipay_name or "").strip(),
        return_contact=(return_contact or "").strip(),
        return_phone=(return_phone or "").strip(),
        return_address=(return_address or "").strip(),
        terms_accepted_at=now,
        applied_by=actor,
        applied_at=now,
    )
    enrollment.full_clean(exclude=["state", "shop", "invitation", "applied_by"])
    try:
        with transaction.atomic():
            enrollment.save()
    except IntegrityError:  # enrollment_one_open_per_shop: a concurrent application won
        raise ValidationError(ALREADY_OPEN, code="open") from None
    audit.log_created(
        enrollment,
        by=actor,
        state=EnrollmentState.PENDING,
        transition="apply",
        description="",
    )
    return enrollment


@transaction.atomic
def enrollment_payout_account_change(
    *, enrollment_id: int, actor, alipay_account: str, alipay_name: str, note: str = ""
) -> Enrollment:
    """R11/R114: an underwriter corrects the shop's bound Alipay account and its holder's name
    (e.g. after the provider refused a payout to it); failed payouts can then be resubmitted.
    Audited as a change of the enrollment (not a state change)."""
    from django.contrib.admin.models import CHANGE, LogEntry

    enrollment = _locked(enrollment_id)
    before = (enrollment.alipay_account, enrollment.alipay_name)
    enrollment.alipay_account = (alipay_account or "").strip()
    enrollment.alipay_name = (alipay_name or "").strip()
    errors = {}
    for field in ("alipay_account", "alipay_name"):
        try:
            enrollment._meta.get_field(field).run_validators(getattr(enrollment, field))
            if not getattr(enrollment, field):
                raise ValidationError(_("This field is required."), code="required")
        except ValidationError as error:
            errors[field] = error.messages
    if errors:
        raise ValidationError(errors)
    if before == (enrollment.alipay_account, enrollment.alipay_name):
        return enrollment
    enrollment.save(update_fields=["alipay_account", "alipay_name"])
    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[enrollment],
        action_flag=CHANGE,
        change_message=f"payout account {before[0]} / {before[1]} -> "
        f"{enrollment.alipay_account} / {enrollment.alipay_name}. {note}".strip(),
        single_object=True,
    )
    return enrollment


def _locked(enrollment_id: int) -> Enrollment:
    return fsm.lock(Enrollment.objects.select_related("shop"), pk=enrollment_id)


def _locked_in_state(shop: Shop, state: str) -> Enrollment:
    """The shop's enrollment in `state` (at most one is open, R11), locked."""
    try:
        return fsm.lock(Enrollment.objects.select_related("shop"), shop=shop, state=state)
    except Enrollment.DoesNotExist:
        raise ValidationError(SHOP_NOT_IN_FORCE, code="state") from None


def _run(enrollment: Enrollment, name: str, *, by, **kwargs) -> Enrollment:
    """R40: fire the transition for `by` (refused clearly by state, "forbidden" without the
    permission declared on the model), saved and audited."""
    fsm.fire(enrollment, name, by=by, refused=lambda: _not_allowed(enrollment), **kwargs)
    return enrollment


@transaction.atomic
def enrollment_approve(*, enrollment_id: int, actor, note: str = "") -> Enrollment:
    """R12: effective at once, with the shop's first premium rate from the risk model."""
    enrollment = _locked(enrollment_id)
    now = timezone.now()
    _run(enrollment, "approve", by=actor, at=now, description=note)
    # The shop's rate history is written under the shop's lock (rate_override, shops_reprice).
    Shop.objects.select_for_update().get(pk=enrollment.shop_id)
    repricing.shop_reprice(shop=enrollment.shop, at=now, actor=actor, first=True)
    return enrollment


@transaction.atomic
def enrollment_reject(*, enrollment_id: int, actor, reason: str) -> Enrollment:
    reason = _require_reason(reason)
    enrollment = _locked(enrollment_id)
    return _run(enrollment, "reject", by=actor, at=timezone.now(), description=reason)


@transaction.atomic
def enrollment_request_exit(*, shop: Shop, actor, reason: str) -> Enrollment:
    """R13: the merchant asks to exit; staff carry it out in the admin."""
    reason = _require_reason(reason)
    enrollment = _locked_in_state(shop, EnrollmentState.ACTIVE)
    return _run(enrollment, "request_exit", by=actor, at=timezone.now(), description=reason)


@transaction.atomic
def enrollment_withdraw_exit_request(*, shop: Shop, actor) -> Enrollment:
    enrollment = _locked_in_state(shop, EnrollmentState.EXIT_REQUESTED)
    return _run(enrollment, "withdraw_exit_request", by=actor, description="")


@transaction.atomic
def enrollment_exit(*, enrollment_id: int, actor, note: str = "") -> Enrollment:
    """R13: exit takes effect now; R14 keeps already-placed orders and issued policies covered."""
    enrollment = _locked(enrollment_id)
    return _run(enrollment, "exit", by=actor, at=timezone.now(), description=note)


# --- premium rates (R50-R52) ---


def parse_rate(value) -> Decimal:
    try:
        parsed = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"rate": RATE_NOT_A_NUMBER}) from None
    if not parsed.is_finite():
        raise ValidationError({"rate": RATE_NOT_A_NUMBER})
    return parsed


def rate_override_check(
    *, shop: Shop, rate, reason: str, effective_from: dt.datetime | None = None
) -> tuple[Decimal, str, dt.datetime]:
    """R52: raise what is wrong with an override; return the cleaned (rate, reason, start)."""
    value = parse_rate(rate)
    bounds = selectors.pricing_bounds(industry=shop.industry)
    if not (bounds.min_rate <= value <= bounds.max_rate) or value != as_rate(value):
        raise ValidationError(
            {
                "rate": RATE_OUT_OF_BOUNDS
                % {"min": percent(bounds.min_rate), "max": percent(bounds.max_rate)}
            }
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    now = timezone.now()
    effective_from = effective_from or now
    if effective_from < now - dt.timedelta(minutes=1):
        raise ValidationError({"effective_from": RATE_IN_PAST})
    return value, reason, effective_from


@transaction.atomic
def rate_override(
    *, shop_id: int, rate, reason: str, actor, effective_from: dt.datetime | None = None
) -> PremiumRate:
    """R52: an underwriter sets a shop's rate by hand, with a reason; kept in the history."""
    shop = Shop.objects.select_for_update().get(pk=shop_id)
    value, reason, effective_from = rate_override_check(
        shop=shop, rate=rate, reason=reason, effective_from=effective_from
    )
    return PremiumRate.objects.create(
        shop=shop,
        rate=value,
        effective_from=effective_from,
        source=RateSource.MANUAL,
        reason=reason,
        created_by=actor,
    )
