"""R80: what each event type does: the services that apply one event (per-event path)."""

from claims.services import policies, refunds
from payouts.services import payout_result_report


def _order_placed(data, stored, occurred_at):
    policies.order_place(
        order_id=data["order_id"],
        shop_id=data["shop_id"],
        buyer_id=data["buyer"]["id"],
        credit_tier=data["buyer"]["credit_tier"],
        placed_at=data["placed_at"],
        lines=data["lines"],
    )


def _order_shipped(data, stored, occurred_at):
    policies.order_ship(order_id=data["order_id"], shipped_at=data["shipped_at"])


def _order_received(data, stored, occurred_at):
    policies.order_receive(order_id=data["order_id"], received_at=data["received_at"])


def _refund_requested(data, stored, occurred_at):
    refunds.refund_request(
        refund_id=data["refund_id"],
        order_id=data["order_id"],
        line_id=data["line_id"],
        kind=data["kind"],
        reason=data["reason"],
        amount=data["amount"],
        description=data.get("description", ""),
        evidence=[(e["filename"], e["content_base64"]) for e in data.get("evidence", [])],
        requested_at=data["requested_at"],
        stored=stored,
    )


def _refund_return_shipped(data, stored, occurred_at):
    refunds.refund_return_shipped(
        refund_id=data["refund_id"],
        carrier=data["carrier"],
        tracking_number=data["tracking_number"],
        at=data["shipped_at"],
        reported_at=occurred_at,  # R33/R38: a late report gives the merchant its full deadline
    )


def _refund_cancelled(data, stored, occurred_at):
    refunds.refund_cancel(refund_id=data["refund_id"], at=data["cancelled_at"])


# --- R114: the payment provider's results, at the event's time (issue 12) ---


def _payout_settled(data, stored, occurred_at):
    payout_result_report(
        reference=data["payout_reference"],
        status="settled",
        provider_reference=data["provider_reference"],
        at=occurred_at,
    )


def _payout_failed(data, stored, occurred_at):
    payout_result_report(
        reference=data["payout_reference"],
        status="failed",
        provider_reference=data["provider_reference"],
        reason=data["reason"],
        at=occurred_at,
    )


HANDLERS = {
    "order.placed": _order_placed,
    "order.shipped": _order_shipped,
    "order.received": _order_received,
    "refund.requested": _refund_requested,
    "refund.return_shipped": _refund_return_shipped,
    "refund.cancelled": _refund_cancelled,
    "payout.settled": _payout_settled,
    "payout.failed": _payout_failed,
}
