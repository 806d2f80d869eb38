"""The claim admin's list columns and change-page fields (R32, R36, R61)."""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from claims import selectors, sla
from claims.admin.common import evidence_thumbnails
from claims.models import BuyerCompensation, ClaimState, Payout
from portal import audit_labels


class ClaimFieldsMixin:
    """The columns of ClaimAdmin's list and the read-only fields of its change page."""

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
        return evidence_thumbnails(list(obj.refund.evidence.filter(kind="buyer")))

    @admin.display(description=_("refusal evidence"))
    def refusal_evidence(self, obj):
        return evidence_thumbnails(list(obj.evidence.filter(kind="refusal")))

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
