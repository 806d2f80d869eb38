"""Deadlines coming (issue 11, point 6): the merchant is told a day before the receipt
confirmation of a shipped return falls due (R34, R38).

Judged by the deadline stored on the claim (R90), not by when the sweep runs: a claim is
due for the notice when `receipt_due_at - NOTICE <= now < receipt_due_at`, and the notice
is dated at `receipt_due_at - NOTICE`, so a sweep a minute or an hour into that day writes
the same row. It is written once per deadline: the constraint
`notification_once_per_deadline` holds it against two sweeps at once (ON CONFLICT DO
NOTHING), and a deadline moved by a later report gets its own notice.
"""

import datetime as dt

from django.db.models import Exists, OuterRef

from claims.models import Claim, ClaimState
from notifications.models import Notification, NotificationKind

NOTICE = dt.timedelta(hours=24)


def receipt_deadlines_notify(*, now: dt.datetime) -> int:
    """Write the notices due at `now`; how many were new (to this transaction's knowledge)."""
    already = Notification.objects.filter(
        claim=OuterRef("pk"),
        kind=NotificationKind.RECEIPT_DUE_SOON,
        due_at=OuterRef("receipt_due_at"),
    )
    due = (
        Claim.objects.filter(
            state=ClaimState.RETURN_SHIPPED,
            receipt_due_at__gt=now,
            receipt_due_at__lte=now + NOTICE,
        )
        .filter(~Exists(already))
        .values_list("pk", "shop_id", "receipt_due_at")
    )
    rows = [
        Notification(
            shop_id=shop_id,
            claim_id=pk,
            kind=NotificationKind.RECEIPT_DUE_SOON,
            due_at=due_at,
            created_at=due_at - NOTICE,
        )
        for pk, shop_id, due_at in due
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
