"""The claim state machine's services (R32-R38, R41-R42).

Each service locks the claim and fires guarded transitions through `portal.fsm` (the actor's
permission is the one the model declares; django-fsm-log writes actor, time, source, target
and reason), and saves. Every transition is announced (`portal.changes`), and the merchant
is told from there: the notification in this transaction, the e-mail after commit, the
outbox's message to the marketplace (`claims.merchant_events`). System decisions have no
user: their reason names the rule that fired (R39, R33, R38).

Deadlines are judged by the time the action carries, compared with the deadline stored on the
claim (R90), never by whether the sweep has run yet:
- a return shipped after `return_due_at` is refused (`return_late`); the claim closes at the
  deadline (the sweep does it, dated at the deadline). A return shipped on time but reported
  after the sweep closed the claim reopens it: the buyer met the deadline (R33). The merchant's
  receipt deadline counts from the later of the shipment and the platform's report of it, so
  a late report never puts the merchant in breach for days it was not told of;
- a merchant who confirms receipt after `receipt_due_at` owes the breach the sweep would have
  recorded (R38); a refusal after it is refused: the return counts as received;
- a withdrawal after the return deadline of a claim still awaiting its return finds the claim
  closed by the deadline first; one before it cancels the claim even if the sweep closed it;
- a review decided after `review_due_at` is counted overdue (R32), flagged by the sweep or not.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from claims import merchant_events, rollups
from claims.models import (
    BREACH_POINTS_PER_SUB_ORDER,
    BUYER_SHIPPING_COMPENSATION,
    OPEN_CLAIM_STATES,
    BreachCause,
    BreachState,
    BuyerCompensation,
    Claim,
    ClaimState,
    Payout,
    RefundKind,
    RefusalGround,
    ServiceBreach,
)
from claims.services.policies import policy_refresh_claim_status
from claims.services.terms import claim_settings, payout_account, return_address
from portal import changes, fsm
from portal.changes import Change
from portal.formkit import REASON_REQUIRED
from portal.transactions import service

ACTIONS = {
    "approve_refund": _("approve"),
    "approve_return": _("approve"),
    "reject": _("reject"),
    "cancel": _("cancel"),
    "ship_return": _("record a return tracking number for"),
    "close_timeout": _("close"),
    "confirm_receipt": _("confirm receipt of"),
    "refuse_receipt": _("refuse receipt of"),
    "overrule_refusal": _("overrule the refusal of"),
    "uphold_refusal": _("uphold the refusal of"),
    "complete_refund": _("complete the refund of"),
    "mark_paid": _("pay"),
}
BAD_GROUND = _(
    "Receipt can only be refused for missing items, an empty parcel, a wrong item "
    "or fake logistics."
)
EVIDENCE_REQUIRED = _("Attach at least one photo as evidence.")
ILLEGAL = _("cannot %(action)s a claim that is %(state)s (%(code)s)")
RETURN_LATE = _(
    "the return was shipped at %(shipped)s, after its deadline %(due)s: the claim closes "
    "with no payout (R33)"
)
RECEIPT_DEADLINE_PASSED = _(
    "The receipt deadline passed at %(due)s: the return counts as received and can no "
    "longer be refused (R38)."
)


def illegal(claim: Claim, name: str) -> ValidationError:
    params = {
        "action": ACTIONS.get(name, name),
        "state": claim.get_state_display(),
        "code": claim.state,  # the R41 name, as the API reports it
    }
    # the lazy message with its params: a page shows it translated (portal.formkit)
    return ValidationError(ILLEGAL, code="illegal_transition", params=params)


def run(claim: Claim, name: str, *, by, **kwargs) -> None:
    """Fire one guarded transition (R40, R41): refuse clearly when the state does not allow
    it or `by` may not fire it. The service saves once at the end (`save_and_notify`)."""
    source = claim.state
    fsm.fire(
        claim,
        name,
        by=by,
        refused=lambda: illegal(claim, name),
        action=str(ACTIONS.get(name, name)),
        save=False,
        **kwargs,
    )
    rollups.record_claim_moves([(claim.shop_id, source, claim.state)])  # claims by state


def locked(claim_id: int) -> Claim:
    return fsm.lock(
        Claim.objects.select_related("refund", "shop", "policy", "refund__line"), pk=claim_id
    )


def save_and_notify(claim: Claim, event: str | None = None) -> Claim:
    """Save the claim, recount its policy's status (R24). The merchant was told by the
    listeners of its announced changes; `event`, what the service meant to tell, is checked
    against what they told (`claims.merchant_events`), so the two cannot drift apart."""
    claim.save()
    policy_refresh_claim_status([claim.policy_id])
    told = merchant_events.last_told(claim)
    if event is not None and told != event:
        raise RuntimeError(f"claim {claim.pk}: the merchant was told {told!r}, not {event!r}")
    return claim


def complete_and_pay(claim: Claim, *, by, at: dt.datetime, description: str) -> None:
    """R35-R37: the refund completes; the buyer of a return gets 10.00; the shop is paid."""
    run(claim, "complete_refund", by=by, at=at, description=description)
    if claim.kind == RefundKind.RETURN_AND_REFUND:
        BuyerCompensation.objects.create(
            claim=claim, buyer_id=claim.buyer_id, amount=BUYER_SHIPPING_COMPENSATION, paid_at=at
        )
        rollups.record_compensations([(claim.shop_id, at, BUYER_SHIPPING_COMPENSATION)])
    run(claim, "mark_paid", by=None, at=at, description="system: R35 automatic payout")
    payout = Payout.objects.create(
        claim=claim,
        shop_id=claim.shop_id,
        amount=claim.payable,  # R36
        alipay_account=payout_account(claim.shop_id),
        paid_at=at,
    )
    rollups.record_payouts([(payout.shop_id, payout.paid_at, payout.amount)])


def record_breach(claim: Claim, *, cause: str, at: dt.datetime) -> ServiceBreach:
    """R38: 10,000 points per sub-order (a claim is on one sub-order)."""
    breach = ServiceBreach.objects.create(
        claim=claim,
        shop_id=claim.shop_id,
        cause=cause,
        points=BREACH_POINTS_PER_SUB_ORDER,
        recorded_at=at,
    )
    rollups.record_breaches([(breach.shop_id, breach.recorded_at)])
    changes.announce([Change(Claim, claim, "breach", at)])  # R111 merchant.breach
    return breach


def _approve(claim: Claim, *, by, at: dt.datetime, description: str) -> str:
    if claim.kind == RefundKind.REFUND_ONLY:
        run(claim, "approve_refund", by=by, at=at, description=description)
        # R35/R41: a refund-only approval completes the refund and pays in one request.
        complete_and_pay(claim, by=None, at=at, description="system: R35 refund on approval")
        return "approved_paid"
    settings = claim_settings()
    address = return_address(claim.shop_id)
    run(
        claim,
        "approve_return",
        by=by,
        at=at,
        description=description,
        return_due_at=at + dt.timedelta(days=settings.return_days),  # R33, R90
        return_address=address,
    )
    return "approved_return"


@service
def claim_approve(*, claim_id: int, actor, note: str = "", at: dt.datetime | None = None) -> Claim:
    """R32/R33: approved: refund-only is refunded and paid at once; a return awaits the parcel."""
    claim = locked(claim_id)
    at = at or timezone.now()
    event = _approve(claim, by=actor, at=at, description=note)
    return save_and_notify(claim, event)


def claim_approve_by_system(claim: Claim, *, rule: str, at: dt.datetime) -> Claim:
    """R39: fast track; the caller holds the claim (just created in its transaction)."""
    claim.decided_by_system = True
    claim.fast_tracked = True
    claim.decision_rule = rule[:200]
    event = _approve(claim, by=None, at=at, description=f"system: {rule}")
    return save_and_notify(claim, event)


@service
def claim_reject(*, claim_id: int, actor, reason: str, at: dt.datetime | None = None) -> Claim:
    """R32: rejected with a reason; the request goes back to the merchant's after-sales."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(REASON_REQUIRED, code="reason")
    claim = locked(claim_id)
    run(claim, "reject", by=actor, at=at or timezone.now(), description=reason)
    return save_and_notify(claim, "rejected")


def close_timeout(claim: Claim) -> None:
    """R33: no tracking number before the deadline: closed with no payout, dated at the
    deadline whenever this runs (the sweep, or a later event that finds it passed)."""
    run(
        claim,
        "close_timeout",
        by=None,
        at=claim.return_due_at,
        description="system: R33 no return tracking number before the deadline",
    )


@service
def claim_cancel(*, claim_id: int, at: dt.datetime) -> Claim:
    """R41: the buyer withdrew the request at `at`; the return deadline, if it came first,
    closed the claim first (R33)."""
    claim = locked(claim_id)
    deadline_first = claim.return_due_at is not None and at > claim.return_due_at
    if claim.state == ClaimState.AWAITING_RETURN and deadline_first:
        close_timeout(claim)
    elif not (claim.state == ClaimState.CLOSED_TIMEOUT and deadline_first):
        run(claim, "cancel", by=None, at=at, description="buyer withdrew the request")
    return save_and_notify(claim)


@service
def claim_ship_return(
    *,
    claim_id: int,
    carrier: str,
    tracking_number: str,
    at: dt.datetime,
    reported_at: dt.datetime | None = None,
) -> Claim:
    """R33/R34: the buyer's tracking number is in; the merchant must act within the deadline.

    `at` is when the parcel shipped (judged against `return_due_at`), `reported_at` when the
    platform reported it (the event's `occurred_at`)."""
    claim = locked(claim_id)
    if claim.kind != RefundKind.RETURN_AND_REFUND:
        raise ValidationError(
            "a refund-only claim has no return to ship", code="illegal_transition"
        )
    if claim.refund.cancelled_at is not None:  # R35: a withdrawn request is never paid
        raise ValidationError(
            "the buyer withdrew this request: a return can no longer reopen it",
            code="illegal_transition",
        )
    waiting = claim.state in (ClaimState.AWAITING_RETURN, ClaimState.CLOSED_TIMEOUT)
    if waiting and at > claim.return_due_at:
        raise ValidationError(
            RETURN_LATE % {"shipped": at.isoformat(), "due": claim.return_due_at.isoformat()},
            code="return_late",
        )
    reopened = claim.state == ClaimState.CLOSED_TIMEOUT
    if reopened and (
        Claim.objects.filter(line_id=claim.line_id, state__in=[*OPEN_CLAIM_STATES, ClaimState.PAID])
        .exclude(pk=claim.pk)
        .exists()
    ):
        # R42 over R33: after this claim closed, a new claim on the same sub-order was
        # accepted; reopening this one would make two live claims on one line.
        raise ValidationError(
            "a newer claim on this sub-order is in progress or paid: this closed claim "
            "cannot be reopened",
            code="line_has_claim",
        )
    settings = claim_settings()
    told_at = max(at, reported_at or at)  # the merchant can act once the platform reports it
    description = f"{carrier} {tracking_number}"
    if reopened:
        description += " (R33: shipped before the deadline, reported after the claim closed)"
    run(
        claim,
        "ship_return",
        by=None,
        at=at,
        carrier=carrier,
        tracking_number=tracking_number,
        receipt_due_at=told_at + dt.timedelta(days=settings.receipt_days),  # R38, R90
        description=description,
    )
    return save_and_notify(claim, "return_shipped")


def receipt_overdue(claim: Claim, at: dt.datetime) -> bool:
    """R38: the merchant's receipt deadline passed before `at`."""
    return claim.state == ClaimState.RETURN_SHIPPED and at > claim.receipt_due_at


@service
def claim_confirm_receipt(*, claim_id: int, actor, at: dt.datetime | None = None) -> Claim:
    """R34/R35: the merchant confirms the return arrived: refund completes, the shop is paid.
    A confirmation after the receipt deadline owes the buyer the breach points (R38)."""
    claim = locked(claim_id)
    at = at or timezone.now()
    late = receipt_overdue(claim, at)
    run(claim, "confirm_receipt", by=actor, at=at, description="")
    if late:
        record_breach(claim, cause=BreachCause.RECEIPT_OVERDUE, at=at)
    complete_and_pay(claim, by=None, at=at, description="system: R35 refund on receipt")
    return save_and_notify(claim, "breach" if late else "paid")


@service
def claim_refuse_receipt(
    *,
    claim_id: int,
    actor,
    ground: str,
    note: str,
    evidence: list[tuple[str, bytes]] = (),
    at: dt.datetime | None = None,
    stored: list | None = None,
) -> Claim:
    """R34: refusal only on the four grounds, with evidence; the insurer then rules on it."""
    from claims.services.evidence import evidence_check_count, evidence_store

    if ground not in RefusalGround.values:
        raise ValidationError({"ground": BAD_GROUND})
    if not evidence:
        raise ValidationError({"evidence": EVIDENCE_REQUIRED})
    evidence_check_count(len(evidence))
    claim = locked(claim_id)
    at = at or timezone.now()
    if receipt_overdue(claim, at):
        raise ValidationError(
            RECEIPT_DEADLINE_PASSED % {"due": claim.receipt_due_at.isoformat()},
            code="receipt_deadline_passed",
        )
    run(
        claim,
        "refuse_receipt",
        by=actor,
        at=at,
        ground=ground,
        description=(note or "").strip(),
    )
    for name, data in evidence:
        evidence_store(
            data=data, name=name, kind="refusal", shop_id=claim.shop_id, claim=claim, stored=stored
        )
    return save_and_notify(claim, "receipt_refused")


@service
def claim_overrule_refusal(*, claim_id: int, actor, note: str = "") -> Claim:
    """R34/R38: the refusal had no valid ground: received, breach recorded, refund and payout."""
    claim = locked(claim_id)
    at = timezone.now()
    run(claim, "overrule_refusal", by=actor, at=at, description=note)
    record_breach(claim, cause=BreachCause.REFUSAL_OVERRULED, at=at)
    complete_and_pay(claim, by=None, at=at, description="system: R35 refund after overruling")
    return save_and_notify(claim, "breach")


@service
def claim_uphold_refusal(*, claim_id: int, actor, note: str = "") -> Claim:
    """R34: the refusal stands: the claim closes with no payout."""
    claim = locked(claim_id)
    run(claim, "uphold_refusal", by=actor, at=timezone.now(), description=note)
    return save_and_notify(claim, "closed_refused")


@service
def breach_settle(*, breach_id: int, actor) -> ServiceBreach:
    """R38 / seed 4-3: the points were granted; the breach no longer counts as a violation.
    Settling a settled breach changes nothing."""
    breach = fsm.lock(ServiceBreach.objects.all(), pk=breach_id)
    if breach.state == BreachState.OWED:
        fsm.fire(
            breach,
            "settle",
            by=actor,
            refused=lambda: ValidationError("this breach is already settled", code="settled"),
            action=str(_("settle")),
            at=timezone.now(),
        )
    return breach
