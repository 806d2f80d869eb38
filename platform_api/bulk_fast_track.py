"""R39 for the claims a refund.requested chunk opens, set-based (platform_api.bulk_refunds).

The per-event path creates each claim `submitted`, then fires the system's approval through
the transition runner (claims.services.decisions.claim_approve_by_system): approve_refund,
complete_refund, mark_paid and the payout for a refund-only claim (R35, R36); approve_return
with the return address and deadline for a return (R33). These claims are created by this
transaction, in `submitted`, so every source state and guard of those transitions holds by
construction (the kind decides which approval). Here a fast-tracked claim is inserted in the
state and with the fields those transitions leave (`Claim.approve_refund` & co. in
claims/models.py), and the rows they write go in one INSERT per table: django-fsm-log's
audit row of each transition (by the system, dated as portal.audit dates a late one), the
payouts, the rollup deltas (claims.rollups), the policies' status (R24); the transitions are
announced as the runner announces them (portal.changes), and the listeners there write the
outbox's messages and the merchants' notifications (one INSERT each) and, after commit,
enqueue one task per event kind that enqueues each claim's e-mail (as the sweep does).
tests/platform_api/test_batch_R83.py proves the rows equal those of the per-event path.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from claims import rollups
from claims.models import BuyerFeedback, Claim, ClaimState, FeedbackState, Payout, RefundKind
from claims.services import refunds, terms
from portal import audit, changes
from portal.changes import Change


@dataclass
class Approval:
    """What the system's R39 approval of one new claim sets and writes."""

    rule: str
    fields: dict  # the claim's fields after the transitions
    moves: list  # (source, target, transition, description), in order


def decide(claims: list[Claim]) -> dict[int, str]:
    """{position in `claims`: the R39 rule} for the new, unsaved claims (in event order) the
    system approves: two queries, for the whole chunk."""
    settings = terms.claim_settings()
    candidates = [n for n, c in enumerate(claims) if refunds.fast_track_candidate(c, settings)]
    if not candidates:
        return {}
    buyers = {claims[n].buyer_id for n in candidates}
    upheld = set(
        BuyerFeedback.objects.filter(buyer_id__in=buyers, state=FeedbackState.UPHELD).values_list(
            "buyer_id", flat=True
        )
    )
    recent = _recent_claims(claims, candidates)
    rules = {}
    for n in candidates:
        if claims[n].buyer_id in upheld:
            continue
        rule = refunds.fast_track_verdict(claims[n], settings, recent=recent[n])
        if rule:
            rules[n] = rule
    return rules


def _recent_claims(claims: list[Claim], candidates: list[int]) -> dict[int, int]:
    """R39: each candidate's buyer's other claims submitted in the 90 days before it, as the
    per-event path counts them: those already stored, and those of earlier events."""
    window = dt.timedelta(days=refunds.FAST_TRACK_DAYS)
    since = min(claims[n].submitted_at for n in candidates) - window
    seen: dict[int, list[dt.datetime]] = {}  # buyer -> submitted_at of the claims counted
    for buyer_id, at in Claim.objects.filter(
        buyer_id__in={claims[n].buyer_id for n in candidates}, submitted_at__gte=since
    ).values_list("buyer_id", "submitted_at"):
        seen.setdefault(buyer_id, []).append(at)
    counts, wanted = {}, set(candidates)
    for n, claim in enumerate(claims):
        if n in wanted:
            start = claim.submitted_at - window
            counts[n] = sum(1 for at in seen.get(claim.buyer_id, ()) if at >= start)
        seen.setdefault(claim.buyer_id, []).append(claim.submitted_at)  # later events see it
    return counts


def approval(fields: dict, rule: str) -> Approval:
    """The claim's fields and transitions after decisions.claim_approve_by_system."""
    at = fields["submitted_at"]
    decided = {
        "decided_by_system": True,
        "fast_tracked": True,
        "decision_rule": rule[:200],
        "decided_at": at,
        "review_overdue": at > fields["review_due_at"],  # R32
    }
    described = f"system: {rule}"
    if fields["kind"] == RefundKind.REFUND_ONLY:  # R35: refunded and paid on approval
        return Approval(
            rule,
            {**decided, "state": ClaimState.PAID, "refunded_at": at, "closed_at": at},
            [
                (ClaimState.SUBMITTED, ClaimState.APPROVED, "approve_refund", described),
                (
                    ClaimState.APPROVED,
                    ClaimState.REFUNDED,
                    "complete_refund",
                    "system: R35 refund on approval",
                ),
                (ClaimState.REFUNDED, ClaimState.PAID, "mark_paid", "system: R35 automatic payout"),
            ],
        )
    return Approval(
        rule,
        {
            **decided,
            "state": ClaimState.AWAITING_RETURN,
            "return_due_at": at + dt.timedelta(days=terms.claim_settings().return_days),
            "return_address": terms.return_address(fields["shop_id"]),  # R33
        },
        [(ClaimState.SUBMITTED, ClaimState.AWAITING_RETURN, "approve_return", described)],
    )


def audit_rows(claim: Claim, approval: Approval) -> list[dict]:
    """django-fsm-log's row of each transition, dated as portal.audit dates a late one."""
    now, at = timezone.now(), claim.submitted_at
    stamp = at if abs(now - at) > audit.LATE_AFTER else now
    return [
        {"timestamp": stamp, "source_state": s, "state": t, "transition": n, "description": d}
        for s, t, n, d in approval.moves
    ]


def announce(approved: list[tuple[Claim, Approval]]) -> None:
    """The transitions, as the runner announces them (portal.changes; the outbox's messages,
    R111): each step of every claim, step after step, by the system, at submission."""
    steps = max((len(a.moves) for _claim, a in approved), default=0)
    changes.announce(
        Change(Claim, claim, a.moves[n][2], claim.submitted_at, None, a.moves[n][3])
        for n in range(steps)
        for claim, a in approved
        if n < len(a.moves)
    )


def write(approved: list[tuple[Claim, Approval]]) -> None:
    """The payouts and rollup deltas of the approved claims, and their changes announced."""
    paid = [claim for claim, a in approved if claim.state == ClaimState.PAID]
    payouts = Payout.objects.bulk_create(
        Payout(
            claim=claim,
            shop_id=claim.shop_id,
            amount=claim.payable,  # R36
            alipay_account=terms.payout_account(claim.shop_id),
            paid_at=claim.closed_at,
        )
        for claim in paid
    )
    rollups.record_payouts((p.shop_id, p.paid_at, p.amount) for p in payouts)
    rollups.record_claim_moves(
        (claim.shop_id, source, target) for claim, a in approved for source, target, *_ in a.moves
    )
    announce(approved)
