"""R87: what the marketplace reads back: money as decimal strings, times ISO 8601 with offset."""

from django.utils import timezone

from claims.models import Claim, Order, RefundRequest


def _time(value):
    return timezone.localtime(value).isoformat() if value else None


def _money(value):
    return None if value is None else f"{value:.2f}"


def order(order_id: str) -> dict | None:
    order = (
        Order.objects.select_related("shop", "policy").filter(platform_order_id=order_id).first()
    )
    if order is None:
        return None
    policy = getattr(order, "policy", None)
    return {
        "order_id": order.platform_order_id,
        "shop_id": order.shop.platform_shop_id,
        "insured": order.insured,
        "policy": None
        if policy is None
        else {
            "policy_no": policy.policy_no,
            "premium": _money(policy.premium),
            "rate": f"{policy.rate:.4f}",
            "issued_at": _time(policy.issued_at),
            "coverage_start": _time(policy.coverage_start),
            "coverage_end": _time(policy.coverage_end),
            "status": policy.status(),
        },
    }


def refund(refund_id: str) -> dict | None:
    refund = (
        RefundRequest.objects.select_related("order", "line")
        .filter(platform_refund_id=refund_id)
        .first()
    )
    if refund is None:
        return None
    claim = Claim.objects.select_related("payout", "compensation").filter(refund=refund).first()
    return {
        "refund_id": refund.platform_refund_id,
        "order_id": refund.order.platform_order_id,
        "line_id": refund.line.platform_line_id,
        "covered": refund.covered,
        "not_covered_reason": refund.not_covered_reason or None,
        "claim": None if claim is None else _claim(claim),
    }


def _claim(claim: Claim) -> dict:
    payout = getattr(claim, "payout", None)
    compensation = getattr(claim, "compensation", None)
    if claim.decided_at is None:
        decided_by = None
    else:
        decided_by = "system" if claim.decided_by_system else "reviewer"
    return {
        "state": claim.state,
        "review_due_at": _time(claim.review_due_at),
        "return_due_at": _time(claim.return_due_at),
        "return_address": claim.return_address or None,
        "payable_cap": _money(claim.payable_cap),
        "payout_amount": _money(payout.amount) if payout else None,
        "buyer_compensation": _money(compensation.amount) if compensation else None,
        "decided_by": decided_by,
    }
