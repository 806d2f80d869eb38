"""R114: the payout batches' services: create a batch, record the provider's results (the
result file or the signed events), resubmit a failed payout.

Each locks the rows it changes and fires the payout's guarded transitions through
`portal.fsm` (R40: actor, time, source, target and reason in the audit trail). The
constraint `payout_item_one_open_per_payout` holds "never in two open batches" whatever the
concurrency; the row locks make the loser of a race see the winner's batch.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from claims.models import Payout, PayoutState
from enrollment.models import Enrollment
from payouts.files import ROW, ResultRow, parse_result_file
from payouts.models import BatchState, ItemResult, PayoutBatch, PayoutItem
from portal import audit, fsm
from portal.money import money
from portal.transactions import service

NOTHING_PENDING = _("There are no pending payouts to put in a batch.")
TAKEN_MEANWHILE = _("Another batch took some of these payouts meanwhile. Please try again.")
NOT_IN_STATE = _("This payout is %(state)s: it cannot be %(action)s.")
NO_PAYEE = _("The shop has no complete Alipay payout account (account and account name).")
ACCOUNT_NOT_FIXED = _(
    "The shop's Alipay account is unchanged since the provider refused it (%(reason)s). "
    "Correct the account in the shop's enrollment first."
)
UNKNOWN_REFERENCE = _("unknown payout reference %(reference)s")
NOT_IN_BATCH = _("payout reference %(reference)s is not in this batch")
AMOUNT_DIFFERS = _("amount %(amount)s differs from the %(sent)s sent for %(reference)s")
TWICE = _("payout reference %(reference)s appears more than once in the file")
ALREADY = _(
    "payout %(reference)s already has the result %(result)s (provider reference "
    "%(provider_reference)s); this one says %(new)s (%(new_reference)s)"
)
BATCH_CLOSED = _("This batch is already closed.")

ACTIONS = {"submit": _("submitted"), "settle": _("settled"), "fail": _("marked failed")}
ACTIONS["resubmit"] = _("resubmitted")


@dataclass
class BatchCreated:
    batch: PayoutBatch
    skipped: list[Payout] = field(default_factory=list)  # no complete payee on file


@dataclass
class ImportSummary:
    settled: int = 0
    failed: int = 0
    unchanged: int = 0


def _refused(payout: Payout, name: str):
    return lambda: ValidationError(
        NOT_IN_STATE % {"state": payout.get_state_display(), "action": ACTIONS[name]},
        code="state",
    )


def _fire(payout: Payout, name: str, *, by, at: dt.datetime, **kwargs) -> None:
    fsm.fire(payout, name, by=by, at=at, refused=_refused(payout, name), **kwargs)


def payees(shop_ids) -> dict[int, tuple[str, str]]:
    """R11/R114: each shop's bound Alipay account and its holder's name, from its latest
    enrollment period (R14: an exited shop's claims are still paid), one query."""
    rows = (
        Enrollment.objects.filter(shop_id__in=set(shop_ids), effective_at__isnull=False)
        .order_by("shop_id", "-effective_at")
        .values_list("shop_id", "alipay_account", "alipay_name")
    )
    out: dict[int, tuple[str, str]] = {}
    for shop_id, account, name in rows:
        out.setdefault(shop_id, (account.strip(), name.strip()))
    return {k: v for k, v in out.items() if all(v)}


def _reference(payout_id: int, attempt: int) -> str:
    return f"WP{payout_id}-{attempt}"


@service
def payout_batch_create(
    *, actor, payout_ids: list[int] | None = None, at: dt.datetime | None = None
) -> BatchCreated:
    """A batch of the pending payouts (all, or those of `payout_ids`), each submitted to the
    payee on file now. Payouts whose shop has no complete payee stay pending (`skipped`)."""
    at = at or timezone.now()
    pending = Payout.objects.filter(state=PayoutState.PENDING)
    if payout_ids is not None:
        pending = pending.filter(pk__in=payout_ids)
    # Row locks, in id order; a concurrent batch's payouts are re-read as submitted and left
    # out (PostgreSQL re-checks the WHERE of a row it waited for).
    payouts = list(pending.select_for_update(of=("self",)).order_by("id"))
    on_file = payees(p.shop_id for p in payouts)
    batched = [p for p in payouts if p.shop_id in on_file]
    skipped = [p for p in payouts if p.shop_id not in on_file]
    if not batched:
        raise ValidationError(NOTHING_PENDING if not skipped else NO_PAYEE, code="empty")
    attempts = Counter(
        PayoutItem.objects.filter(payout__in=batched).values_list("payout_id", flat=True)
    )
    batch = PayoutBatch.objects.create(
        created_at=at,
        created_by=actor,
        payouts=len(batched),
        total=money(sum(p.amount for p in batched)),
    )
    audit_created(batch, actor, at)
    items = []
    for payout in batched:
        account, name = on_file[payout.shop_id]
        fsm.held(payout)
        _fire(payout, "submit", by=actor, at=at, payee_account=account, payee_name=name)
        items.append(
            PayoutItem(
                batch=batch,
                payout=payout,
                reference=_reference(payout.pk, attempts[payout.pk] + 1),
                payee_account=account,
                payee_name=name,
                amount=payout.amount,
            )
        )
    try:
        with transaction.atomic():
            PayoutItem.objects.bulk_create(items)
    except IntegrityError:  # payout_item_one_open_per_payout: the database's guard
        raise ValidationError(TAKEN_MEANWHILE, code="conflict") from None
    return BatchCreated(batch, skipped)


def audit_created(batch: PayoutBatch, actor, at) -> None:
    audit.log_created(batch, by=actor, state=BatchState.OPEN, transition="create", at=at)


def _check(item: PayoutItem | None, row: ResultRow, *, batch_id: int | None) -> str | None:
    """Why this result cannot be recorded on `item`, or None. A result already recorded
    the same way is no problem (recorded once: importing a file twice changes nothing)."""
    reference = row.reference
    if item is None:
        return UNKNOWN_REFERENCE % {"reference": reference}
    if batch_id is not None and item.batch_id != batch_id:
        return NOT_IN_BATCH % {"reference": reference}
    if row.amount is not None and row.amount != item.amount:
        return AMOUNT_DIFFERS % {"amount": row.amount, "sent": item.amount, "reference": reference}
    if item.result and (item.result, item.provider_reference) != (
        row.status,
        row.provider_reference,
    ):
        return ALREADY % {
            "reference": reference,
            "result": item.result,
            "provider_reference": item.provider_reference,
            "new": row.status,
            "new_reference": row.provider_reference,
        }
    return None


def _record(item: PayoutItem, row: ResultRow, *, by, at: dt.datetime) -> bool:
    """The result on the item and its payout; False when it was already recorded."""
    if item.result:
        return False
    when = row.completed_at or at
    payout = fsm.lock(Payout.objects.all(), pk=item.payout_id)
    if row.status == ItemResult.SETTLED:
        _fire(payout, "settle", by=by, at=when, provider_reference=row.provider_reference)
    else:
        _fire(
            payout,
            "fail",
            by=by,
            at=when,
            description=row.reason,
            provider_reference=row.provider_reference,
            reason=row.reason,
        )
    item.result, item.result_at = row.status, when
    item.provider_reference, item.reason = row.provider_reference, row.reason
    item.save(update_fields=["result", "result_at", "provider_reference", "reason"])
    return True


def _close_finished(batch_ids, *, at: dt.datetime) -> None:
    for batch_id in sorted(set(batch_ids)):
        if PayoutItem.objects.filter(batch_id=batch_id, result=ItemResult.OPEN).exists():
            continue
        batch = fsm.lock(PayoutBatch.objects.all(), pk=batch_id)
        if batch.state == BatchState.OPEN:
            fsm.fire(
                batch,
                "close",
                by=None,
                at=at,
                refused=lambda: ValidationError(BATCH_CLOSED, code="state"),
                description="system: every result in",
            )


def _locked_items(references) -> dict[str, PayoutItem]:
    items = PayoutItem.objects.filter(reference__in=set(references)).order_by("id")
    return {i.reference: i for i in items.select_for_update(of=("self",))}


@service
def payout_batch_import_results(
    *, batch_id: int, actor, content: bytes, at: dt.datetime | None = None
) -> ImportSummary:
    """R114: the provider's result file for this batch. Every row is checked first; one bad
    row and nothing is recorded (ValidationError listing each bad row). A result already
    recorded is left as it is, so importing the same file twice changes nothing."""
    at = at or timezone.now()
    rows, errors = parse_result_file(content)
    fsm.lock(PayoutBatch.objects.all(), pk=batch_id)  # one import of a batch at a time
    items = _locked_items(r.reference for r in rows)
    seen = Counter(r.reference for r in rows)
    for row in rows:
        problem = _check(items.get(row.reference), row, batch_id=batch_id)
        if problem is None and seen[row.reference] > 1:
            problem = TWICE % {"reference": row.reference}
        if problem is not None:
            errors.append((row.row, str(ROW % {"row": row.row, "problem": problem})))
    if errors:  # every bad row, in the file's order; nothing recorded
        raise ValidationError([message for _, message in sorted(errors)], code="rows")
    summary = ImportSummary()
    for row in rows:
        if _record(items[row.reference], row, by=actor, at=at):
            setattr(summary, row.status, getattr(summary, row.status) + 1)
        else:
            summary.unchanged += 1
    _close_finished([batch_id], at=at)
    return summary


@service
def payout_result_report(
    *,
    reference: str,
    status: str,
    provider_reference: str,
    reason: str = "",
    at: dt.datetime,
) -> bool:
    """R114: the provider reports one result as a signed event (`payout.settled` /
    `payout.failed`), recorded by the system. False when it was already recorded."""
    row = ResultRow(0, reference, status, None, provider_reference, reason, at)
    # locks in the import's order (batch, items, payouts): the two never deadlock
    batch_id = PayoutItem.objects.filter(reference=reference).values_list("batch_id", flat=True)
    if batch_id:
        fsm.lock(PayoutBatch.objects.all(), pk=batch_id[0])
    item = _locked_items([reference]).get(reference)
    problem = _check(item, row, batch_id=None)
    if problem is not None:
        raise ValidationError(problem, code="result")
    recorded = _record(item, row, by=None, at=at)
    if recorded:
        _close_finished([item.batch_id], at=at)
    return recorded


@service
def payout_resubmit(*, payout_id: int, actor, at: dt.datetime | None = None) -> Payout:
    """R114: a failed payout goes back to pending, for the next batch, once the shop's
    account has been corrected (a payee other than the one the provider refused)."""
    at = at or timezone.now()
    payout = fsm.lock(Payout.objects.all(), pk=payout_id)
    if payout.state != PayoutState.FAILED:
        raise _refused(payout, "resubmit")()
    payee = payees([payout.shop_id]).get(payout.shop_id)
    if payee is None:
        raise ValidationError(NO_PAYEE, code="payee")
    if payee == (payout.alipay_account, payout.alipay_name):
        raise ValidationError(
            ACCOUNT_NOT_FIXED % {"reason": payout.failure_reason}, code="unchanged"
        )
    _fire(payout, "resubmit", by=actor, at=at, description="account corrected")
    return payout
