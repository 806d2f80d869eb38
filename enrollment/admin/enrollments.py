"""Enrollments: the underwriters' review, the payout account (R114), exits (R11-R16)."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from enrollment import services
from enrollment.models import (
    DECIDE_PERMISSION,
    Enrollment,
    EnrollmentState,
)
from enrollment.validators import validate_alipay_account, validate_alipay_name
from portal.admin_kit import NoAddOrDelete
from portal.admin_transitions import (
    AdminTransition,
    NoteForm,
    ReasonForm,
    TimelineInline,
    TransitionAdminMixin,
)


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
class EnrollmentAdmin(NoAddOrDelete, TransitionAdminMixin, admin.ModelAdmin):
    # No add: applications come from merchants (R11); no delete: history is kept (R16).
    list_display = ["shop", "state", "applied_at", "effective_at", "exit_requested_at", "exited_at"]
    list_filter = ["state"]
    search_fields = ["shop__name", "shop__platform_shop_id"]
    list_select_related = ["shop"]
    date_hierarchy = "applied_at"
    inlines = [TimelineInline]
    service_id = "enrollment_id"
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
            service=services.enrollment_payout_account_change,
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
            service=services.enrollment_approve,
            help_text=_("The service becomes effective at once, with the risk model's first rate."),
        ),
        AdminTransition(
            name="reject",
            label=_("Reject"),
            permission=DECIDE_PERMISSION,
            form=ReasonForm,
            danger=True,
            service=services.enrollment_reject,
        ),
        AdminTransition(
            name="exit",
            label=_("Carry out exit"),
            permission=DECIDE_PERMISSION,
            form=NoteForm,
            danger=True,
            service=services.enrollment_exit,
            help_text=_(
                "Exit takes effect now. Orders placed before it still get policies; issued "
                "policies stay covered; the shop may apply again from the 91st day."
            ),
        ),
    )

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
