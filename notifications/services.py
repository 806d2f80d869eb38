"""Writes of notifications (issue 11, point 6): each in the transaction of the change it
reports (the services call these before they commit), so a change and its notification
exist together or not at all. Marking read changes nothing else."""

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from notifications.models import Notification, NotificationKind
from portal.transactions import service

# The claims app's merchant-e-mail events (claims.tasks.EVENTS) that also notify in the
# portal; "receipt_refused" is the merchant's own act and tells them nothing new.
CLAIM_EVENTS = {
    "approved_paid": NotificationKind.APPROVED_PAID,
    "approved_return": NotificationKind.APPROVED_RETURN,
    "rejected": NotificationKind.REJECTED,
    "return_shipped": NotificationKind.RETURN_SHIPPED,
    "paid": NotificationKind.PAID,
    "breach": NotificationKind.BREACH,
    "closed_refused": NotificationKind.CLOSED_REFUSED,
}
INVOICE_EVENTS = {
    "issued": NotificationKind.INVOICE_ISSUED,
    "shipped": NotificationKind.INVOICE_SHIPPED,
    "rejected": NotificationKind.INVOICE_REJECTED,
}


def claims_notify(rows: Iterable[tuple[int, int, dt.datetime]], *, event: str) -> int:
    """One notification of `event` per (shop_id, claim_id, when) row, in one INSERT; an
    event that tells the merchant nothing new writes none."""
    kind = CLAIM_EVENTS.get(event)
    if kind is None:
        return 0
    created = Notification.objects.bulk_create(
        Notification(shop_id=shop_id, claim_id=claim_id, kind=kind, created_at=at)
        for shop_id, claim_id, at in rows
    )
    return len(created)


# When the change a claim event reports happened, as the claim records it (a decision or a
# shipment the platform reports late is dated when it happened, as its audit row is).
_EVENT_TIME = {
    "approved_paid": "decided_at",
    "approved_return": "decided_at",
    "rejected": "decided_at",
    "return_shipped": "return_shipped_at",
    "paid": "closed_at",
    "breach": "closed_at",
    "closed_refused": "closed_at",
}


def claim_notify(claim, *, event: str, at: dt.datetime | None = None) -> int:
    now = timezone.now()
    at = at or getattr(claim, _EVENT_TIME.get(event, ""), None) or now
    return claims_notify([(claim.shop_id, claim.pk, min(at, now))], event=event)


def invoice_notify(invoice, *, event: str, at: dt.datetime | None = None) -> int:
    kind = INVOICE_EVENTS.get(event)
    if kind is None:
        return 0
    Notification.objects.create(
        shop_id=invoice.shop_id, invoice_id=invoice.pk, kind=kind, created_at=at or timezone.now()
    )
    return 1


@service
def notification_mark_read(*, shop, notification_id: int) -> int:
    """Mark one of the shop's notifications read (again: nothing changes). Another shop's
    id matches nothing."""
    return Notification.objects.filter(shop=shop, pk=notification_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@service
def notifications_mark_all_read(*, shop) -> int:
    return Notification.objects.filter(shop=shop, read_at__isnull=True).update(
        read_at=timezone.now()
    )
