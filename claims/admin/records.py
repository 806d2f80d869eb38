"""The claims process's records, read-only but for the settings (R39, R90) and a breach's
points granted (R38): policies, refund requests, compensations, breaches, evidence."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from claims.admin.common import evidence_thumbnails
from claims.models import (
    BuyerCompensation,
    ClaimSettings,
    Evidence,
    Policy,
    RefundRequest,
    ServiceBreach,
)
from claims.services import decisions
from portal.admin_kit import ExactIdSearch, LargeTableAdmin, ReadOnlyAdmin


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


@admin.register(Policy)
class PolicyAdmin(ExactIdSearch, LargeTableAdmin, ReadOnlyAdmin):
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


@admin.register(RefundRequest)
class RefundRequestAdmin(ExactIdSearch, LargeTableAdmin, ReadOnlyAdmin):
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


# Payout's admin (R101, R114: finance) is in payouts/admin.py, with its batches.


@admin.register(BuyerCompensation)
class BuyerCompensationAdmin(LargeTableAdmin, ReadOnlyAdmin):
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
        return evidence_thumbnails([obj])
