"""The reviewers' workbench: the claim queue under the 24-hour clock, buyers and feedback.

Rules R32-R34, R38-R39, R60-R62, R101-R102.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import ValidationError
from django.db.models import Case, Value, When
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from claims import admin_queue, admin_sla, selectors, sla
from claims.models import (
    REVIEW_PERMISSION,
    Buyer,
    BuyerCompensation,
    BuyerFeedback,
    Claim,
    ClaimSettings,
    ClaimState,
    Evidence,
    FeedbackState,
    Payout,
    Policy,
    RefundKind,
    RefundRequest,
    ServiceBreach,
)
from claims.services import decisions, feedback
from portal import audit_labels
from portal.admin_transitions import (
    AdminTransition,
    NoteForm,
    ReasonForm,
    TimelineInline,
    TransitionAdminMixin,
)


class RevokeForm(ReasonForm):
    credit_impact = forms.CharField(
        label=_("credit impact recorded"),
        required=False,
        initial="credit rating lowered",
        max_length=200,
    )


def _thumbnails(evidence_list) -> str:
    if not evidence_list:
        return "—"
    return format_html_join(
        " ",
        '<a href="{}" target="_blank" rel="noopener" title="{}">'
        '<img src="{}?size=thumb" alt="{}" style="max-height:120px;border:1px solid #ccc"></a>',
        (
            (
                reverse("claims:evidence", args=[e.pk]),
                e.original_name,
                reverse("claims:evidence", args=[e.pk]),
                e.original_name,
            )
            for e in evidence_list
        ),
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
        from claims.models import COVERED_REASONS

        return [(r.value, r.label) for r in COVERED_REASONS]

    def queryset(self, request, queryset):
        return queryset.filter(refund__reason=self.value()) if self.value() else queryset


def _approve(obj_id, actor, note=""):
    return decisions.claim_approve(claim_id=obj_id, actor=actor, note=note)


def _reject(obj_id, actor, reason):
    return decisions.claim_reject(claim_id=obj_id, actor=actor, reason=reason)


@admin.register(Claim)
class ClaimAdmin(TransitionAdminMixin, admin.ModelAdmin):
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
            service=_approve,
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
            service=_reject,
        ),
        AdminTransition(
            name="overrule_refusal",
            label=_("Overrule the refusal"),
            form=NoteForm,
            service=lambda obj_id, actor, note: decisions.claim_overrule_refusal(
                claim_id=obj_id, actor=actor, note=note
            ),
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
            service=lambda obj_id, actor, note: decisions.claim_uphold_refusal(
                claim_id=obj_id, actor=actor, note=note
            ),
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

    def get_search_results(self, request, queryset, search_term):
        """Exact refund, order or buyer id, each through its unique index. (The admin's own
        "=field" search compares UPPER() of three joined tables at once: it reads every
        claim, 0.8 s for 100,000.)"""
        term = search_term.strip()
        if not term:
            return queryset, False
        claims = Claim.objects.values("pk")
        matching = claims.filter(refund__platform_refund_id=term).union(
            claims.filter(refund__order__platform_order_id=term),
            claims.filter(buyer__platform_buyer_id=term),
        )
        return queryset.filter(pk__in=matching), False

    def get_readonly_fields(self, request, obj=None):
        return [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]

    def has_add_permission(self, request):
        return False  # claims come from the platform (R30)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False if obj is None else super().has_change_permission(request, obj)

    # --- list columns ---

    @admin.display(description=_("refund id"), ordering="refund__platform_refund_id")
    def refund_id(self, obj):
        return obj.refund.platform_refund_id

    @admin.display(description=_("order id"))
    def order_id(self, obj):
        return obj.refund.order.platform_order_id

    @admin.display(description=_("reason"))
    def reason(self, obj):
        return obj.refund.get_reason_display()

    @admin.display(description=_("review due"), ordering="review_due_at")
    def review_deadline(self, obj):
        due = timezone.localtime(obj.review_due_at).strftime("%Y-%m-%d %H:%M")
        if obj.is_review_overdue:
            return format_html('<strong style="color:#b91c1c">⚠ {} {}</strong>', _("OVERDUE"), due)
        return due

    # --- change page ---

    @admin.display(description=_("reason"))
    def reason_display(self, obj):
        return obj.refund.get_reason_display()

    @admin.display(description=_("review overdue"))
    def review_overdue_display(self, obj):
        """A red warning when overdue (not the admin's green tick for True, issue 11), with
        the countdown while the review is still to do (R32)."""
        if obj.is_review_overdue:
            return format_html(
                '<strong class="overdue" style="color:#b91c1c">⚠ {}</strong> · {}',
                _("OVERDUE"),
                sla.countdown(obj.review_due_at, timezone.now()),
            )
        if obj.state == ClaimState.SUBMITTED:
            return format_html(
                '<span class="in-time">{}</span> · {}',
                _("Not overdue"),
                sla.countdown(obj.review_due_at, timezone.now()),
            )
        if obj.decided_at is not None:
            return _("Decided late") if obj.decided_at > obj.review_due_at else _("Decided in time")
        return "—"

    @admin.display(description=_("decided by"))
    def decided_by_display(self, obj):
        if obj.decided_at is None:
            return "—"
        if obj.decided_by_system:
            return _("System: %(rule)s") % {"rule": audit_labels.reason_label(obj.decision_rule)}
        if obj.decided_by_id:
            return _("Reviewer %(name)s") % {"name": obj.decided_by.get_username()}
        return _("Reviewer")

    @admin.display(description=_("order"))
    def order_display(self, obj):
        order = obj.refund.order
        return format_html(
            "{} · {} · {} CNY · {} {}",
            order.platform_order_id,
            order.shop.name,
            order.paid_amount,
            _("received"),
            timezone.localtime(order.received_at).strftime("%Y-%m-%d %H:%M")
            if order.received_at
            else "—",
        )

    @admin.display(description=_("sub-order"))
    def line_display(self, obj):
        line = obj.refund.line
        return (
            f"{line.platform_line_id} · {line.sku} · {line.title} × {line.quantity} · "
            f"{line.paid_amount} CNY"
        )

    @admin.display(description=_("payout if paid"))
    def payable_display(self, obj):
        return obj.payable

    @admin.display(description=_("paid"))
    def paid_display(self, obj):
        payout = Payout.objects.filter(claim=obj).first()
        comp = BuyerCompensation.objects.filter(claim=obj).first()
        parts = []
        if payout:
            parts.append(
                _("shop: %(amount)s → %(account)s")
                % {"amount": payout.amount, "account": payout.alipay_account}
            )
        if comp:
            parts.append(_("buyer shipping: %(amount)s") % {"amount": comp.amount})
        return "; ".join(parts) or "—"

    @admin.display(description=_("description"))
    def description(self, obj):
        return obj.refund.description or "—"

    @admin.display(description=_("photos"))
    def buyer_evidence(self, obj):
        return _thumbnails(list(obj.refund.evidence.filter(kind="buyer")))

    @admin.display(description=_("refusal evidence"))
    def refusal_evidence(self, obj):
        return _thumbnails(list(obj.evidence.filter(kind="refusal")))

    @admin.display(description=_("history"))
    def buyer_history(self, obj):
        h = selectors.buyer_history(obj.buyer)
        return format_html(
            '<a href="{}">{}</a> · {} {} · {} {} · {} {} · {} {} ({} {}) · {}',
            reverse("admin:claims_buyer_change", args=[obj.buyer_id]),
            obj.buyer,
            _("credit tier"),
            h.credit_tier,
            _("claims in 30 days"),
            h.claims_30_days,
            _("claims in 90 days"),
            h.claims_90_days,
            _("feedback received"),
            h.feedback_received,
            _("upheld"),
            h.feedback_upheld,
            _("eligible") if h.eligible else _("ELIGIBILITY REVOKED"),
        )

    # --- bulk decisions with a confirmation page ---

    def _bulk(self, request, queryset, *, action, title, form_class, run):
        claims = list(queryset.filter(state=ClaimState.SUBMITTED).select_related("refund"))
        if "confirm" in request.POST:
            form = form_class(request.POST)
            if form.is_valid():
                done, failed = 0, []
                for claim in claims:
                    try:
                        run(claim.pk, request.user, **form.cleaned_data)
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
            run=_approve,
        )

    @admin.action(description=_("Reject the selected claims…"), permissions=["decide"])
    def bulk_reject(self, request, queryset):
        return self._bulk(
            request,
            queryset,
            action="bulk_reject",
            title=_("Reject claims"),
            form_class=ReasonForm,
            run=_reject,
        )

    def has_decide_permission(self, request):
        return request.user.has_perm(REVIEW_PERMISSION)


@admin.register(Buyer)
class BuyerAdmin(TransitionAdminMixin, admin.ModelAdmin):
    list_display = ["platform_buyer_id", "credit_tier", "eligibility", "revoked_at"]
    list_filter = ["eligibility", "credit_tier"]
    search_fields = ["=platform_buyer_id"]
    readonly_fields = [
        "platform_buyer_id",
        "credit_tier",
        "eligibility",
        "revoked_at",
        "revoked_by",
        "revoke_reason",
        "credit_impact",
        "history",
        "recent_claims",
    ]
    fields = readonly_fields
    transitions = (
        AdminTransition(
            name="revoke",
            label=_("Revoke eligibility"),
            form=RevokeForm,
            danger=True,
            available=lambda b: b.eligible,
            service=lambda obj_id, actor, reason, credit_impact: feedback.buyer_revoke_eligibility(
                buyer_id=obj_id, actor=actor, reason=reason, credit_impact=credit_impact
            ),
            help_text=_("The buyer's later refund requests are handled by merchants."),
        ),
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("history"))
    def history(self, obj):
        h = selectors.buyer_history(obj)
        return _(
            "claims in 30 days: %(d30)s · claims in 90 days: %(d90)s · feedback received: "
            "%(feedback)s (upheld: %(upheld)s)"
        ) % {
            "d30": h.claims_30_days,
            "d90": h.claims_90_days,
            "feedback": h.feedback_received,
            "upheld": h.feedback_upheld,
        }

    @admin.display(description=_("latest claims"))
    def recent_claims(self, obj):
        claims = (
            Claim.objects.filter(buyer=obj)
            .select_related("refund", "shop")
            .order_by("-submitted_at")[:20]
        )
        return (
            format_html_join(
                mark_safe("<br>"),  # noqa: S308 - a literal tag
                '<a href="{}">{}</a> · {} · {} · {}',
                (
                    (
                        reverse("admin:claims_claim_change", args=[c.pk]),
                        c.refund.platform_refund_id,
                        c.shop.name,
                        c.amount,
                        c.get_state_display(),
                    )
                    for c in claims
                ),
            )
            or "—"
        )


@admin.register(BuyerFeedback)
class BuyerFeedbackAdmin(TransitionAdminMixin, admin.ModelAdmin):
    list_display = ["buyer", "shop", "category", "state", "created_at"]
    list_filter = ["state", "category"]
    search_fields = ["=buyer__platform_buyer_id", "shop__name"]
    list_select_related = ["buyer", "shop"]
    inlines = [TimelineInline]
    readonly_fields = [
        "buyer_link",
        "shop",
        "policy",
        "claim",
        "category",
        "description",
        "created_at",
        "state",
        "outcome_note",
        "decided_at",
        "photos",
    ]
    fields = readonly_fields
    transitions = (
        AdminTransition(
            name="uphold",
            label=_("Uphold"),
            form=NoteForm,
            service=lambda obj_id, actor, note: feedback.feedback_uphold(
                feedback_id=obj_id, actor=actor, note=note
            ),
            help_text=_("The report holds: it counts against the buyer (no fast track)."),
        ),
        AdminTransition(
            name="dismiss",
            label=_("Dismiss"),
            form=NoteForm,
            service=lambda obj_id, actor, note: feedback.feedback_dismiss(
                feedback_id=obj_id, actor=actor, note=note
            ),
        ),
    )

    def get_ordering(self, request):
        """R60: open reports first, oldest first, then the decided ones. (An order by
        "-state" put "upheld" before "open".)"""
        open_first = Case(When(state=FeedbackState.OPEN, then=Value(0)), default=Value(1))
        return [open_first.asc(), "created_at", "id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("buyer"))
    def buyer_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:claims_buyer_change", args=[obj.buyer_id]),
            obj.buyer,
        )

    @admin.display(description=_("evidence"))
    def photos(self, obj):
        return _thumbnails(list(obj.evidence.all()))


@admin.register(ClaimSettings)
class ClaimSettingsAdmin(admin.ModelAdmin):
    """Deadlines (R90) and fast-track thresholds (R39): insurer-only, never shown to merchants."""

    list_display = ["__str__", "review_hours", "return_days", "receipt_days", "fast_track_enabled"]

    def has_add_permission(self, request):
        return (
            request.user.has_perm("claims.add_claimsettings") and not ClaimSettings.objects.exists()
        )

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        """Every field shown, none a form field: no select of every claim or order to build
        (and the claim's, ordered by the queue's rank, is not a plain queryset's order)."""
        extra = [f for f in self.readonly_fields if f not in self._model_fields()]
        return [*self._model_fields(), *extra]

    def _model_fields(self):
        return [f.name for f in self.model._meta.concrete_fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Policy)
class PolicyAdmin(ReadOnlyAdmin):
    list_display = [
        "policy_no",
        "order",
        "shop",
        "premium",
        "rate",
        "issued_at",
        "coverage_end",
        "claim_status",
    ]
    list_filter = ["claim_status"]
    search_fields = ["=policy_no", "=order__platform_order_id"]
    list_select_related = ["order", "shop"]
    show_full_result_count = False


@admin.register(RefundRequest)
class RefundRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "platform_refund_id",
        "order",
        "shop",
        "kind",
        "reason_display",
        "amount",
        "covered",
        "not_covered_reason",
        "requested_at",
    ]
    list_filter = ["covered", "not_covered_reason", "kind"]
    search_fields = ["=platform_refund_id", "=order__platform_order_id"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return ["reason_display" if f == "reason" else f for f in fields]

    @admin.display(description=_("reason"), ordering="reason")
    def reason_display(self, obj):
        """The buyer's reason by its label, not its API code (R87)."""
        return obj.get_reason_display()

    list_select_related = ["order", "shop"]
    show_full_result_count = False


# Payout's admin (R101, R114: finance) is in payouts/admin.py, with its batches.


@admin.register(BuyerCompensation)
class BuyerCompensationAdmin(ReadOnlyAdmin):
    list_display = ["claim", "buyer", "amount", "paid_at"]
    list_select_related = ["claim__refund", "buyer"]


@admin.register(ServiceBreach)
class ServiceBreachAdmin(ReadOnlyAdmin):
    list_display = ["claim", "shop", "cause", "points", "recorded_at", "state", "settled_at"]
    list_filter = ["cause", "state"]
    list_select_related = ["claim__refund", "shop"]
    actions = ["settle"]

    @admin.action(description=_("Mark the points as granted (settled)"), permissions=["settle"])
    def settle(self, request, queryset):
        for breach in queryset:
            decisions.breach_settle(breach_id=breach.pk, actor=request.user)
        self.message_user(request, _("Breaches settled."), messages.SUCCESS)

    def has_settle_permission(self, request):
        return request.user.has_perm("claims.change_servicebreach")


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = [
        "original_name",
        "kind",
        "shop",
        "content_type",
        "width",
        "height",
        "size",
        "uploaded_at",
    ]
    list_filter = ["kind"]
    readonly_fields = ["preview"]

    @admin.display(description=_("preview"))
    def preview(self, obj):
        return _thumbnails([obj])
