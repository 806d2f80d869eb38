"""Background work of the claims app: merchant e-mails and the periodic deadline sweep."""

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation

from claims.models import Claim

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


@task
def sweep_deadlines_task() -> dict:
    """R91: the periodic sweep; the same service as `manage.py sweep_deadlines`."""
    from claims.services.sweep import sweep_deadlines

    return sweep_deadlines().as_dict()
