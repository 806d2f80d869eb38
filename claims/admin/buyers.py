"""Buyers, their eligibility (R61, R62), and the merchants' reports of buyers (R60)."""

from django import forms
from django.contrib import admin
from django.db.models import Case, Value, When
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from claims import selectors
from claims.admin.common import evidence_thumbnails
from claims.models import Buyer, BuyerFeedback, Claim, FeedbackState
from claims.services import feedback
from portal.admin_kit import ExactIdSearch, NoAddOrDelete
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


@admin.register(Buyer)
class BuyerAdmin(ExactIdSearch, NoAddOrDelete, TransitionAdminMixin, admin.ModelAdmin):
    list_display = ["platform_buyer_id", "credit_tier", "eligibility", "revoked_at"]
    list_filter = ["eligibility", "credit_tier"]
    search_fields = ["=platform_buyer_id"]
    service_id = "buyer_id"
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
            service=feedback.buyer_revoke_eligibility,
            help_text=_("The buyer's later refund requests are handled by merchants."),
        ),
    )

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
    service_id = "feedback_id"
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
            service=feedback.feedback_uphold,
            help_text=_("The report holds: it counts against the buyer (no fast track)."),
        ),
        AdminTransition(
            name="dismiss",
            label=_("Dismiss"),
            form=NoteForm,
            service=feedback.feedback_dismiss,
        ),
    )

    def get_ordering(self, request):
        """R60: open reports first, oldest first, then the decided ones. (An order by
        "-state" put "upheld" before "open".)"""
        open_first = Case(When(state=FeedbackState.OPEN, then=Value(0)), default=Value(1))
        return [open_first.asc(), "created_at", "id"]

    @admin.display(description=_("buyer"))
    def buyer_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:claims_buyer_change", args=[obj.buyer_id]),
            obj.buyer,
        )

    @admin.display(description=_("evidence"))
    def photos(self, obj):
        return evidence_thumbnails(list(obj.evidence.all()))
