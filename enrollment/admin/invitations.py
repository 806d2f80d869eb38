"""Invitations: inviting a shop creates it and its contact's merchant login (R10, R40)."""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment import services
from enrollment.models import (
    IN_FORCE_STATES,
    Enrollment,
    EnrollmentState,
    Industry,
    Invitation,
    InvitationState,
)
from portal.admin_transitions import (
    TimelineInline,
)


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
