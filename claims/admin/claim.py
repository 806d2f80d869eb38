"""The claim admin: the reviewers' queue and change page under the 24-hour clock (R32-R34,
R39), its transitions and its bulk decisions. The columns and read-only fields it shows are
in `claim_fields`, the queue page in `claims.admin_queue`."""

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from claims import admin_queue, admin_sla, selectors
from claims.admin.claim_fields import ClaimFieldsMixin
from claims.models import COVERED_REASONS, REVIEW_PERMISSION, Claim, ClaimState, RefundKind
from claims.services import decisions
from portal.admin_kit import ExactIdSearch, NoAddOrDelete
from portal.admin_transitions import (
    AdminTransition,
    NoteForm,
    ReasonForm,
    TimelineInline,
    TransitionAdminMixin,
)


class OverdueFilter(admin.SimpleListFilter):
    title = _("review overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        overdue = {"state": ClaimState.SUBMITTED, "review_due_at__lt": timezone.now()}
        if self.value() == "yes":
            return queryset.filter(**overdue)
        if self.value() == "no":
            return queryset.exclude(**overdue)
        return queryset


class ReasonFilter(admin.SimpleListFilter):
    title = _("reason")
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return [(r.value, r.label) for r in COVERED_REASONS]

    def queryset(self, request, queryset):
        return queryset.filter(refund__reason=self.value()) if self.value() else queryset


@admin.register(Claim)
class ClaimAdmin(
    ExactIdSearch, NoAddOrDelete, ClaimFieldsMixin, TransitionAdminMixin, admin.ModelAdmin
):
    # No add: claims come from the platform (R30).
    list_display = [
        "refund_id",
        "order_id",
        "shop",
        "buyer",
        "kind",
        "reason",
        "amount",
        "state",
        "review_deadline",
        "fast_tracked",
    ]
    list_filter = [
        "state",
        OverdueFilter,
        ("shop", admin.RelatedOnlyFieldListFilter),
        ReasonFilter,
        "kind",
        "fast_tracked",
    ]
    # Exact ids, each through its unique index (portal.admin_kit.ExactIdSearch): the admin's
    # own "=field" search compared UPPER() of three joined tables, 0.8 s for 100,000 claims.
    search_fields = [
        "=refund__platform_refund_id",
        "=refund__order__platform_order_id",
        "=buyer__platform_buyer_id",
    ]
    search_help_text = _("Exact order id, refund id or buyer id.")
    list_select_related = ["refund", "refund__order", "shop", "buyer"]
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over every claim on each page
    inlines = [TimelineInline]
    service_id = "claim_id"
    actions = ["bulk_approve", "bulk_reject"]
    fieldsets = [
        (
            _("Claim"),
            {
                "fields": [
                    "state",
                    "kind",
                    "reason_display",
                    "review_due_at",
                    "review_overdue_display",
                    "decided_at",
                    "decided_by_display",
                    "rejection_reason",
                ]
            },
        ),
        (_("Order and sub-order"), {"fields": ["order_display", "line_display", "policy"]}),
        (_("Amounts"), {"fields": ["amount", "payable_cap", "payable_display", "paid_display"]}),
        (_("Buyer's evidence"), {"fields": ["description", "buyer_evidence"]}),
        (_("Buyer history across all shops"), {"fields": ["buyer_history"]}),
        (
            _("Return"),
            {
                "fields": [
                    "return_address",
                    "return_due_at",
                    "return_carrier",
                    "return_tracking_number",
                    "return_shipped_at",
                    "receipt_due_at",
                    "refusal_ground",
                    "refusal_note",
                    "refusal_evidence",
                ]
            },
        ),
    ]
    transitions = (
        AdminTransition(
            name="approve",
            label=_("Approve"),
            form=NoteForm,
            service=decisions.claim_approve,
            transition=lambda c: (
                "approve_refund" if c.kind == RefundKind.REFUND_ONLY else "approve_return"
            ),
            help_text=_(
                "Refund only: refunded and paid at once. Return: the buyer gets the "
                "return address and 7 days for the tracking number."
            ),
        ),
        AdminTransition(
            name="reject",
            label=_("Reject"),
            form=ReasonForm,
            danger=True,
            service=decisions.claim_reject,
        ),
        AdminTransition(
            name="overrule_refusal",
            label=_("Overrule the refusal"),
            form=NoteForm,
            service=decisions.claim_overrule_refusal,
            help_text=_(
                "The refusal had no valid ground: the claim is paid and the merchant's "
                "breach recorded (10,000 points per sub-order)."
            ),
        ),
        AdminTransition(
            name="uphold_refusal",
            label=_("Uphold the refusal"),
            form=NoteForm,
            danger=True,
            service=decisions.claim_uphold_refusal,
            help_text=_("The merchant's evidence holds: the claim closes without payout."),
        ),
    )

    def get_urls(self):
        return [*admin_sla.sla_urls(self), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        """GET: the purpose-built reviewer queue (claims/admin_queue.py, issue 10); a POST
        (bulk decisions) and popups go through the changelist as before."""
        if request.method == "GET" and IS_POPUP_VAR not in request.GET:
            return admin_queue.queue_view(self, request, extra_context)
        return super().changelist_view(request, extra_context)

    def get_queryset(self, request):
        # Annotate before ordering: ModelAdmin.get_queryset would order by the rank too early.
        queue = selectors.claim_queue(self.model._default_manager.get_queryset())
        return queue.order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        return ["queue_rank", "review_due_at", "id"]

    def get_readonly_fields(self, request, obj=None):
        return flatten_fieldsets(self.fieldsets)

    def has_change_permission(self, request, obj=None):
        return False if obj is None else super().has_change_permission(request, obj)

    # --- bulk decisions with a confirmation page ---

    def _bulk(self, request, queryset, *, action, title, form_class, run):
        claims = list(queryset.filter(state=ClaimState.SUBMITTED).select_related("refund"))
        if "confirm" in request.POST:
            form = form_class(request.POST)
            if form.is_valid():
                done, failed = 0, []
                for claim in claims:
                    try:
                        run(claim_id=claim.pk, actor=request.user, **form.cleaned_data)
                        done += 1
                    except ValidationError as error:
                        failed.append(
                            f"{claim.refund.platform_refund_id}: {' '.join(error.messages)}"
                        )
                self.message_user(
                    request,
                    _("%(title)s: %(done)d done.") % {"title": title, "done": done},
                    messages.SUCCESS,
                )
                for failure in failed:
                    self.message_user(request, failure, messages.ERROR)
                return None
        else:
            form = form_class()
        skipped = queryset.count() - len(claims)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "claims": claims,
            "skipped": skipped,
            "form": form,
            "action": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/claims/bulk_confirm.html", context)

    @admin.action(description=_("Approve the selected claims…"), permissions=["decide"])
    def bulk_approve(self, request, queryset):
        return self._bulk(
            request,
            queryset,
            action="bulk_approve",
            title=_("Approve claims"),
            form_class=NoteForm,
            run=decisions.claim_approve,
        )

    @admin.action(description=_("Reject the selected claims…"), permissions=["decide"])
    def bulk_reject(self, request, queryset):
        return self._bulk(
            request,
            queryset,
            action="bulk_reject",
            title=_("Reject claims"),
            form_class=ReasonForm,
            run=decisions.claim_reject,
        )

    def has_decide_permission(self, request):
        return request.user.has_perm(REVIEW_PERMISSION)
