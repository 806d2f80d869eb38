"""Writes of notifications (issue 11, point 6): each in the transaction of the change it
reports, so a change and its notification exist together or not at all. Marking read
changes nothing else.

`notifications_record_changes` listens to `portal.changes` (notifications.apps): every
change announced (a claim's transition, the sweep's and the fast track's batches, an invoice
issued, shipped or rejected) comes here inside its own transaction, and what the merchant is
told of it is written in one INSERT, dated when it happened.
"""

from django.utils import timezone

from claims.merchant_events import merchant_events
from claims.models import Claim
from notifications.models import Notification, NotificationKind
from portal.bulk import insert_rows
from portal.changes import Change
from portal.transactions import service

# The claim events (claims.merchant_events) told in the portal; "receipt_refused" is the
# merchant's own act and tells them nothing new.
CLAIM_EVENTS = {
    "approved_paid": NotificationKind.APPROVED_PAID,
    "approved_return": NotificationKind.APPROVED_RETURN,
    "rejected": NotificationKind.REJECTED,
    "return_shipped": NotificationKind.RETURN_SHIPPED,
    "paid": NotificationKind.PAID,
    "breach": NotificationKind.BREACH,
    "closed_refused": NotificationKind.CLOSED_REFUSED,
    "closed_timeout": NotificationKind.CLOSED_TIMEOUT,
}
# The invoice request's transitions (invoicing.services) told in the portal.
INVOICE_CHANGES = {
    "issue": NotificationKind.INVOICE_ISSUED,
    "ship": NotificationKind.INVOICE_SHIPPED,
    "reject": NotificationKind.INVOICE_REJECTED,
}
_INVOICE = "invoicing.invoicerequest"  # named, not imported: invoicing stands above this app


def notifications_record_changes(changes: list[Change]) -> None:
    """The notifications of these changes, in their order, in one INSERT (none: nothing)."""
    told = [e for e in merchant_events(changes) if e.event in CLAIM_EVENTS]
    shops = _shop_ids([e.claim for e in told])
    rows = [
        # when it happened, as its audit row is (a late report too)
        (shops[e.claim_id], e.claim_id, None, CLAIM_EVENTS[e.event], e.at)
        for e in told
    ]
    rows += [
        (c.obj.shop_id, None, c.pk, INVOICE_CHANGES[c.name], c.at)
        for c in changes
        if c.model._meta.label_lower == _INVOICE and c.name in INVOICE_CHANGES
    ]
    # the sweep's 7,000 at once: plain rows, not instances (portal.bulk)
    insert_rows(Notification, ["shop_id", "claim_id", "invoice_id", "kind", "created_at"], rows)


def _shop_ids(claims: list) -> dict[int, int]:
    """{claim id: shop id}: from the instances and the sweep's rows (claims.claim_rows), which
    carry it; the primary keys and instances read without it in one query."""
    shops, missing = {}, set()
    for claim in claims:
        if isinstance(claim, int):
            missing.add(claim)
        elif isinstance(claim, Claim) and "shop_id" in claim.get_deferred_fields():
            missing.add(claim.pk)
        else:
            shops[claim.pk] = claim.shop_id
    if missing:
        shops.update(Claim.objects.filter(pk__in=missing).values_list("pk", "shop_id"))
    return shops


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
