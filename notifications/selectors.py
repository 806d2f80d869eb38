"""Reads of notifications: a shop's list and its unread count (one indexed query)."""

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.scoping import shop_get_or_404
from notifications.models import Notification, NotificationKind

TEXTS = {
    NotificationKind.APPROVED_PAID: _(
        "The insurer approved claim %(refund)s and paid it to your Alipay account."
    ),
    NotificationKind.APPROVED_RETURN: _(
        "The insurer approved claim %(refund)s: the buyer will send the item back."
    ),
    NotificationKind.REJECTED: _(
        "The insurer rejected claim %(refund)s: it goes back to your normal after-sales."
    ),
    NotificationKind.RETURN_SHIPPED: _(
        "The buyer shipped the return of claim %(refund)s: confirm receipt when it arrives."
    ),
    NotificationKind.PAID: _("Claim %(refund)s was paid to your Alipay account."),
    NotificationKind.BREACH: _(
        "A service breach was recorded on claim %(refund)s: 10,000 points to the buyer."
    ),
    NotificationKind.CLOSED_REFUSED: _(
        "The insurer upheld your refusal of the return of claim %(refund)s: closed, no payout."
    ),
    NotificationKind.CLOSED_TIMEOUT: _(
        "The buyer shipped no return of claim %(refund)s before its deadline: closed, no payout."
    ),
    NotificationKind.RECEIPT_DUE_SOON: _(
        "Confirm or refuse the return of claim %(refund)s by %(due)s, or it counts as "
        "received with a service breach."
    ),
    NotificationKind.INVOICE_ISSUED: _("Your invoice %(invoice)s was issued."),
    NotificationKind.INVOICE_SHIPPED: _("Your paper invoice %(invoice)s was shipped."),
    NotificationKind.INVOICE_REJECTED: _("Your invoice request %(invoice)s was rejected."),
}


def notifications_for_shop(*, shop) -> QuerySet[Notification]:
    return Notification.objects.filter(shop=shop).select_related("claim__refund", "invoice")


def unread_count(*, shop_id: int) -> int:
    """One COUNT over the partial index notification_unread_idx."""
    return Notification.objects.filter(shop_id=shop_id, read_at__isnull=True).count()


def unread_count_sql(quote_name, shop_id_sql: str) -> str:
    """`unread_count` as a scalar subquery of the shop `shop_id_sql`, which the session's
    user query reads (portal.auth.SessionUserQuery.read_with_shop): the navigation's count
    without a query of its own (issue 10)."""
    meta = Notification._meta
    shop, read_at = meta.get_field("shop").column, meta.get_field("read_at").column
    return (
        f"(SELECT COUNT(*) FROM {quote_name(meta.db_table)} n"
        f" WHERE n.{quote_name(shop)} = {shop_id_sql} AND n.{quote_name(read_at)} IS NULL)"
    )


def notification_text(notification: Notification) -> str:
    """The notification in the reader's language, composed when shown."""
    claim, invoice = notification.claim, notification.invoice
    due = notification.due_at
    return TEXTS[notification.kind] % {
        "refund": claim.refund.platform_refund_id if claim else "",
        "invoice": (invoice.invoice_number or invoice.reference) if invoice else "",
        "due": f"{timezone.localtime(due):%Y-%m-%d %H:%M}" if due else "",
    }


def notification_for_shop_or_404(request, *, pk: int) -> Notification:
    return shop_get_or_404(request, Notification, pk=pk)
