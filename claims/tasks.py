"""Background work of the claims app: merchant e-mails and the periodic deadline sweep.

The e-mails are enqueued after commit by `email_merchants_of_changes`, a listener of
`portal.changes` (registered in claims.apps): whatever path changes a claim (a service, the
sweep, the event API's fast track) announces it, and the e-mail follows.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation

from claims.merchant_events import merchant_events
from claims.models import Claim
from portal.changes import Change

EVENTS = {
    "approved_paid",
    "approved_return",
    "rejected",
    "return_shipped",
    "paid",
    "breach",
    "receipt_refused",
    "closed_refused",
}


@task
def notify_merchants(*, claim_id: int, event: str) -> int:
    """E-mail the shop's merchants what happened to a claim (sent after commit)."""
    if event not in EVENTS:
        raise ValueError(f"unknown claim event {event!r}")
    claim = Claim.objects.select_related("refund", "shop", "policy").get(pk=claim_id)
    recipients = [
        email for email in claim.shop.merchants.values_list("user__email", flat=True) if email
    ]
    if not recipients:
        return 0
    context = {"claim": claim, "event": event, "base_url": settings.PORTAL_BASE_URL}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("emails/claim_subject.txt", context).strip()
        body = render_to_string("emails/claim_body.txt", context)
    return send_mail(subject, body, None, recipients)


@task
def notify_merchants_of_each(*, claim_ids: list[int], event: str) -> int:
    """Enqueue the merchants' e-mail of each claim a sweep chunk settled: the same
    `notify_merchants` task per claim as the per-claim services, enqueued by the worker
    rather than by the sweep's transaction (one row to write there instead of one per claim)."""
    for claim_id in claim_ids:
        notify_merchants.enqueue(claim_id=claim_id, event=event)
    return len(claim_ids)


def email_merchants_of_changes(changes: list[Change]) -> None:
    """After commit, the merchants' e-mail of each claim event among `changes`: one
    `notify_merchants` for one claim, one `notify_merchants_of_each` per event for a batch
    (the sweep's chunk, the fast track's), so the batch's transaction writes one task row."""
    by_event: dict[str, list[int]] = {}
    for told in merchant_events(changes):
        if told.event in EVENTS:
            by_event.setdefault(told.event, []).append(told.claim_id)
    for event, ids in by_event.items():
        if len(ids) == 1:
            claim_id = ids[0]
            transaction.on_commit(
                lambda claim_id=claim_id, event=event: notify_merchants.enqueue(
                    claim_id=claim_id, event=event
                )
            )
        else:
            transaction.on_commit(
                lambda ids=ids, event=event: notify_merchants_of_each.enqueue(
                    claim_ids=ids, event=event
                )
            )


@task
def sweep_deadlines_task() -> dict:
    """R91: the periodic sweep; the same service as `manage.py sweep_deadlines`."""
    from claims.services.sweep import sweep_deadlines

    return sweep_deadlines().as_dict()
