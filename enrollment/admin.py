"""Underwriters' workbench: invitations, applications, enrollments, exits, rates.

Rules R10-R16 and R50-R52.
"""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment import selectors, services
from enrollment.models import (
    DECIDE_PERMISSION,
    IN_FORCE_STATES,
    Enrollment,
    EnrollmentState,
    Industry,
    IndustryPricing,
    Invitation,
    InvitationState,
    Merchant,
    PremiumRate,
    Shop,
)
from enrollment.rate_reasons import rate_reason
from enrollment.validators import validate_alipay_account, validate_alipay_name
from portal.admin_transitions import (
    AdminTransition,
    NoteForm,
    ReasonForm,
    TimelineInline,
    TransitionAdminMixin,
)
from portal.money import percent

STAFF_AS_MERCHANT = _(
    "Insurer staff and superusers cannot be merchant users: choose the shop's own login."
)
MERCHANT_OF_OTHER_SHOP = _(
    "This user is already a merchant user of %(shop)s: a merchant user belongs to one shop."
)


class MerchantForm(forms.ModelForm):
    """R100/R101: only a user who is not staff, not a superuser and not a merchant user of
    another shop can be bound to a shop. The raw-id popup lists only non-staff users
    (`Merchant.user`'s limit_choices_to), but any id can be typed in: this form refuses it,
    with the reason beside the field. The one-to-one link holds "one shop" in the database."""

    class Meta:
        model = Merchant
        fields = ["user"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Look the id up among all users, so that clean_user can say why one is refused
        # (limit_choices_to alone says only "not one of the available choices").
        self.fields["user"].queryset = get_user_model().objects.select_related("merchant__shop")

    def clean_user(self):
        user = self.cleaned_data["user"]
        if user.is_staff or user.is_superuser:
            raise ValidationError(STAFF_AS_MERCHANT, code="staff")
        merchant = getattr(user, "merchant", None)
        if merchant is not None and merchant.pk != self.instance.pk:
            raise ValidationError(
                MERCHANT_OF_OTHER_SHOP % {"shop": merchant.shop.name}, code="other_shop"
            )
        return user


class MerchantInline(admin.TabularInline):
    model = Merchant
    form = MerchantForm
    extra = 0
    raw_id_fields = ["user"]


class RateInline(admin.TabularInline):
    model = PremiumRate
    extra = 0
    fields = ["effective_from", "rate_display", "source", "reason_display", "created_by"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True
    ordering = ["-effective_from", "-id"]

    @admin.display(description=_("rate"))
    def rate_display(self, obj):
        return percent(obj.rate)

    @admin.display(description=_("reason"))
    def reason_display(self, obj):
        return rate_reason(obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EnrollmentInline(admin.TabularInline):
    model = Enrollment
    extra = 0
    fields = ["state", "applied_at", "effective_at", "exited_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ["name", "platform_shop_id", "industry", "service_state", "current_rate"]
    list_filter = ["industry"]
    search_fields = ["name", "platform_shop_id"]
    inlines = [MerchantInline, EnrollmentInline, RateInline]
    list_per_page = 50

    @admin.display(description=_("service"))
    def service_state(self, obj):
        open_enrollment = selectors.enrollment_open(shop=obj)
        return open_enrollment.get_state_display() if open_enrollment else "—"

    @admin.display(description=_("rate in force"))
    def current_rate(self, obj):
        current = selectors.rate_in_force(shop_id=obj.pk)
        return percent(current.rate) if current else "—"


class InvitationForm(forms.ModelForm):
    """R10: inviting a shop creates it (if new) and its contact's merchant login."""

    platform_shop_id = forms.CharField(label=_("platform shop id"), max_length=64)
    shop_name = forms.CharField(label=_("shop name"), max_length=200)
    industry = forms.ChoiceField(label=_("industry"), choices=Industry.choices)

    class Meta:
        model = Invitation
        fields = ["contact_email", "expires_at", "note"]

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                services.invitation_check(
                    platform_shop_id=data["platform_shop_id"],
                    contact_email=data["contact_email"],
                    expires_at=data["expires_at"],
                )
            except ValidationError as error:
                self.add_error(None, error)
        return data


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "shop",
        "contact_email",
        "created_at",
        "expires_at",
        "is_live",
        "state",
        "revoked_at",
    ]
    list_filter = ["state"]
    search_fields = ["shop__name", "shop__platform_shop_id", "contact_email"]
    list_select_related = ["shop"]
    actions = ["revoke"]

    def get_inlines(self, request, obj):
        return [TimelineInline] if obj is not None else []  # R40: who revoked it, and when

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = InvitationForm
        return super().get_form(request, obj, **kwargs)

    # An invitation, once sent, is read-only but for its note.
    sent_fields = [
        "shop",
        "contact_email",
        "expires_at",
        "invited_by",
        "created_at",
        "state",
        "revoked_at",
    ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return [
                "platform_shop_id",
                "shop_name",
                "industry",
                "contact_email",
                "expires_at",
                "note",
            ]
        return [*self.sent_fields, "note"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.sent_fields

    def get_changeform_initial_data(self, request):
        return {"expires_at": timezone.now() + dt.timedelta(days=30)}

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        invitation = services.invitation_create(
            platform_shop_id=data["platform_shop_id"],
            shop_name=data["shop_name"],
            industry=data["industry"],
            contact_email=data["contact_email"],
            expires_at=data["expires_at"],
            note=data.get("note", ""),
            actor=request.user,
        )
        obj.pk, obj.shop, obj.created_at = invitation.pk, invitation.shop, invitation.created_at
        obj._state.adding = False

    def get_queryset(self, request):
        used = Enrollment.objects.filter(
            invitation=OuterRef("pk"), state__in=[*IN_FORCE_STATES, EnrollmentState.EXITED]
        )
        return super().get_queryset(request).annotate(used=Exists(used))

    @admin.display(boolean=True, description=_("live"))
    def is_live(self, obj):
        """As selectors.invitation_live: not revoked, not expired, not turned into a service."""
        return (
            obj.state == InvitationState.ISSUED and obj.expires_at > timezone.now() and not obj.used
        )

    @admin.action(description=_("Revoke the selected invitations"), permissions=["change"])
    def revoke(self, request, queryset):
        """R40: each through the audited service; those already revoked are left as they are."""
        for invitation in queryset.filter(state=InvitationState.ISSUED):
            try:
                services.invitation_revoke(invitation_id=invitation.pk, actor=request.user)
            except ValidationError as error:
                if error.code != "state":  # revoked meanwhile: as asked
                    raise
        self.message_user(request, _("Invitations revoked."), messages.SUCCESS)


class PayoutAccountForm(NoteForm):
    """R114: the shop's bound Alipay account and its holder's name, as corrected."""

    alipay_account = forms.CharField(
        label=_("bound Alipay payout account"), max_length=100, validators=[validate_alipay_account]
    )
    alipay_name = forms.CharField(
        label=_("Alipay account name"), max_length=100, validators=[validate_alipay_name]
    )
    field_order = ["alipay_account", "alipay_name", "note"]


@admin.register(Enrollment)
class EnrollmentAdmin(TransitionAdminMixin, admin.ModelAdmin):
    list_display = ["shop", "state", "applied_at", "effective_at", "exit_requested_at", "exited_at"]
    list_filter = ["state"]
    search_fields = ["shop__name", "shop__platform_shop_id"]
    list_select_related = ["shop"]
    date_hierarchy = "applied_at"
    inlines = [TimelineInline]
    readonly_fields = [
        "shop",
        "invitation",
        "state",
        "alipay_account",
        "alipay_name",
        "return_contact",
        "return_phone",
        "return_address",
        "terms_accepted_at",
        "applied_by",
        "applied_at",
        "reviewed_by",
        "reviewed_at",
        "rejection_reason",
        "effective_at",
        "exit_requested_at",
        "exit_reason",
        "exited_at",
        "reentry_date",
    ]
    fields = readonly_fields
    transitions = (
        AdminTransition(
            name="payout_account",
            label=_("Correct the payout account"),
            permission=DECIDE_PERMISSION,
            form=PayoutAccountForm,
            available=lambda obj: obj.effective_at is not None,
            service=lambda obj_id, actor, **fields: services.enrollment_payout_account_change(
                enrollment_id=obj_id, actor=actor, **fields
            ),
            help_text=_(
                "Payouts not yet sent, and failed payouts once resubmitted, go to this account "
                "(R114)."
            ),
        ),
        AdminTransition(
            name="approve",
            label=_("Approve"),
            permission=DECIDE_PERMISSION,
            form=NoteForm,
            service=lambda obj_id, actor, note: services.enrollment_approve(
                enrollment_id=obj_id, actor=actor, note=note
            ),
            help_text=_("The service becomes effective at once, with the risk model's first rate."),
        ),
        AdminTransition(
            name="reject",
            label=_("Reject"),
            permission=DECIDE_PERMISSION,
            form=ReasonForm,
            danger=True,
            service=lambda obj_id, actor, reason: services.enrollment_reject(
                enrollment_id=obj_id, actor=actor, reason=reason
            ),
        ),
        AdminTransition(
            name="exit",
            label=_("Carry out exit"),
            permission=DECIDE_PERMISSION,
            form=NoteForm,
            danger=True,
            service=lambda obj_id, actor, note: services.enrollment_exit(
                enrollment_id=obj_id, actor=actor, note=note
            ),
            help_text=_(
                "Exit takes effect now. Orders placed before it still get policies; issued "
                "policies stay covered; the shop may apply again from the 91st day."
            ),
        ),
    )

    def has_add_permission(self, request):
        return False  # applications come from merchants (R11)

    def has_delete_permission(self, request, obj=None):
        return False  # history is kept (R16)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("shop")

    @admin.display(description=_("may apply again from"))
    def reentry_date(self, obj):
        return obj.reentry_date or "—"

    def changelist_view(self, request, extra_context=None):
        # The review queue first: pending applications, oldest first.
        if not request.GET and request.method == "GET":
            pending = Enrollment.objects.filter(state=EnrollmentState.PENDING).count()
            if pending:
                self.message_user(
                    request,
                    _("%(count)d application(s) waiting for review.") % {"count": pending},
                    messages.INFO,
                )
        return super().changelist_view(request, extra_context)


class RateOverrideForm(forms.ModelForm):
    """R52: an override is a new history entry with a reason, within the insurer's bounds."""

    rate = forms.CharField(
        label=_("premium rate"),
        help_text=_("As a fraction of the order amount: 0.0150 = 1.50%."),
    )
    effective_from = forms.DateTimeField(
        label=_("effective from"), required=False, help_text=_("Empty: now.")
    )

    class Meta:
        model = PremiumRate
        fields = ["shop", "rate", "effective_from", "reason"]

    def clean(self):
        data = super().clean()
        if "shop" in data and "reason" in data:
            try:
                data["rate"], data["reason"], data["effective_from"] = services.rate_override_check(
                    shop=data["shop"],
                    rate=self.data.get("rate", ""),
                    reason=data["reason"],
                    effective_from=data.get("effective_from"),
                )
            except ValidationError as error:
                self.add_error(None, error)
        return data

    def _post_clean(self):
        pass  # the service validates and writes; the model instance is not used


@admin.register(PremiumRate)
class PremiumRateAdmin(admin.ModelAdmin):
    list_display = [
        "shop",
        "rate_display",
        "effective_from",
        "source",
        "created_by",
        "reason_display",
    ]
    list_filter = ["source"]
    search_fields = ["shop__name", "shop__platform_shop_id"]
    list_select_related = ["shop", "created_by"]
    autocomplete_fields = ["shop"]
    form = RateOverrideForm

    @admin.display(description=_("rate"), ordering="rate")
    def rate_display(self, obj):
        return percent(obj.rate)

    @admin.display(description=_("reason"))
    def reason_display(self, obj):
        return rate_reason(obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "shop",
            "rate_display",
            "effective_from",
            "source",
            "reason_display",
            "inputs",
            "created_by",
            "created_at",
        ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["shop", "rate", "effective_from", "reason"]
        return self.get_readonly_fields(request, obj)

    def has_add_permission(self, request):
        return request.user.has_perm("enrollment.override_rate")

    def has_change_permission(self, request, obj=None):
        return False  # rate history is append-only (R50)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        created = services.rate_override(
            shop_id=data["shop"].pk,
            rate=data["rate"],
            reason=data["reason"],
            effective_from=data["effective_from"],
            actor=request.user,
        )
        obj.pk = created.pk
        obj.shop, obj.rate = created.shop, created.rate
        obj._state.adding = False


class IndustryPricingForm(forms.ModelForm):
    class Meta:
        model = IndustryPricing
        fields = ["industry", "base_rate", "min_rate", "max_rate"]

    def clean(self):
        data = super().clean()
        lo, base, hi = data.get("min_rate"), data.get("base_rate"), data.get("max_rate")
        if None not in (lo, base, hi) and not (0 < lo <= base <= hi < 1):
            raise ValidationError(
                _("Rates must satisfy 0 < lowest rate <= base rate <= highest rate < 1.")
            )
        return data


@admin.register(IndustryPricing)
class IndustryPricingAdmin(admin.ModelAdmin):
    form = IndustryPricingForm
    list_display = ["industry", "base_rate", "min_rate", "max_rate"]
