"""R30-R32, R39, R42, R44, R85: refund.requested, set-based (the contract of platform_api.bulk).

The chunk's refunds, sub-orders (locked, R42), orders, policies and buyers are read in three
queries; each request is checked in memory in event order as
claims.services.refunds.refund_request checks it (same rules, same messages); the requests
that pass are written with one INSERT per table (refund requests, claims, their "submit"
audit rows, evidence) and one UPDATE of the policies (R24). The claims the R39 fast track
approves then go through the one transition runner (claims.services.decisions), one by one.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django_fsm_log.models import StateLog

from claims import rollups
from claims.models import (
    OPEN_CLAIM_STATES,
    BuyerFeedback,
    Claim,
    ClaimState,
    Evidence,
    FeedbackState,
    Order,
    OrderLine,
    Policy,
    PolicyClaimStatus,
    RefundKind,
    RefundRequest,
)
from claims.services import decisions, refunds
from claims.services.evidence import evidence_build, evidence_check_count, verify_image
from portal import fsm

LIVE = [*OPEN_CLAIM_STATES, ClaimState.PAID]  # R42: one live claim per sub-order


@dataclass
class _Request:
    """A refund.requested that passed every check, and what it writes."""

    item: object
    line: OrderLine
    fingerprint: str
    not_covered: str
    images: list  # (name, data, verify_image's answer)
    refund: RefundRequest | None = None
    claim: Claim | None = None


def refunds_requested(items: list, record_applied) -> dict[int, str]:
    known = _Known(items)
    rejected: dict[int, str] = {}
    accepted: list[_Request] = []
    for item in items:
        try:
            request = _check(item, known)
        except ValidationError as error:
            rejected[item.index] = "; ".join(error.messages)
            continue
        known.take(request)
        accepted.append(request)
    if accepted:
        record_applied([r.item for r in accepted])
        _write(accepted)
    return rejected


class _Known:
    """What the chunk names, read at once: prior refunds, sub-orders (locked), live claims."""

    def __init__(self, items: list):
        refund_ids = [i.data["refund_id"] for i in items]
        self.hashes = dict(
            RefundRequest.objects.filter(platform_refund_id__in=refund_ids).values_list(
                "platform_refund_id", "content_hash"
            )
        )
        order_ids = sorted({i.data["order_id"] for i in items})
        lines = (
            OrderLine.objects.select_for_update(of=("self",))
            .select_related("order", "order__buyer", "order__policy")
            .filter(order__platform_order_id__in=order_ids)
            .order_by("pk")  # R42: the sub-orders' row locks, in one order for every batch
        )
        self.lines = {(line.order.platform_order_id, line.platform_line_id): line for line in lines}
        with_lines = {order_id for order_id, _line_id in self.lines}
        self.orders = with_lines | set(
            Order.objects.filter(
                platform_order_id__in=[o for o in order_ids if o not in with_lines]
            ).values_list("platform_order_id", flat=True)
        )
        self.live = set(
            Claim.objects.filter(
                state__in=LIVE, line_id__in=[line.pk for line in self.lines.values()]
            ).values_list("line_id", flat=True)
        )

    def take(self, request: _Request) -> None:
        """A later request of the chunk sees this one recorded (and its claim, R42)."""
        self.hashes[request.item.data["refund_id"]] = request.fingerprint
        if not request.not_covered:
            self.live.add(request.line.pk)


def _check(item, known: _Known) -> _Request:
    """refund_request's checks, in its order and words (claims.services.refunds)."""
    data = item.data
    refund_id, order_id, line_id = data["refund_id"], data["order_id"], data["line_id"]
    if data["kind"] not in RefundKind.values:
        raise ValidationError(f"unknown kind {data['kind']!r}", code="bad_kind")
    if data["reason"] not in refunds.KNOWN_REASONS:
        raise ValidationError(f"unknown reason code {data['reason']!r}", code="bad_reason")
    evidence = [(e["filename"], e["content_base64"]) for e in data.get("evidence", [])]
    evidence_check_count(len(evidence))
    fingerprint = _fingerprint(data, evidence)
    _check_new(refund_id, fingerprint, known)
    line = known.lines.get((order_id, line_id))
    if line is None:
        if order_id not in known.orders:
            raise ValidationError(f"unknown order {order_id!r}", code="unknown_order")
        raise ValidationError(
            f"unknown line {line_id!r} in order {order_id!r}", code="unknown_line"
        )
    if data["amount"] <= 0:
        raise ValidationError(f"amount {data['amount']} must be above 0", code="bad_amount")
    images = [(name, raw, verify_image(raw, name=name)) for name, raw in evidence]
    order = line.order
    not_covered = refunds.coverage(
        order=order,
        policy=getattr(order, "policy", None),
        reason=data["reason"],
        requested_at=data["requested_at"],
        buyer=order.buyer,
    )
    if not not_covered and line.pk in known.live:
        raise ValidationError(
            f"line {line_id!r} already has a claim in progress or paid", code="line_has_claim"
        )
    return _Request(item, line, fingerprint, not_covered, images)


def _fingerprint(data: dict, evidence: list) -> str:
    return refunds.content_hash(
        order_id=data["order_id"],
        line_id=data["line_id"],
        kind=data["kind"],
        reason=data["reason"],
        amount=str(data["amount"]),
        description=data.get("description", ""),
        requested_at=data["requested_at"].isoformat(),
        evidence=[hashlib.sha256(raw).hexdigest() for _name, raw in evidence],
    )


def _check_new(refund_id: str, fingerprint: str, known: _Known) -> None:
    prior = known.hashes.get(refund_id)
    if prior is None:
        return
    if prior == fingerprint:
        raise ValidationError(f"refund {refund_id!r} is already recorded", code="duplicate_refund")
    raise ValidationError(
        f"refund {refund_id!r} was already recorded with different content",
        code="refund_conflict",
    )


# --- writing ---


def _write(requests: list[_Request]) -> None:
    _insert_refunds(requests)
    claimed = [r for r in requests if not r.not_covered]
    if claimed:
        _open_claims(claimed)
    _insert_evidence(requests)
    _fast_track(claimed)


def _insert_refunds(requests: list[_Request]) -> None:
    rows = []
    for r in requests:
        data, order = r.item.data, r.line.order
        rows.append(
            RefundRequest(
                platform_refund_id=data["refund_id"],
                order=order,
                line=r.line,
                shop_id=order.shop_id,
                buyer=order.buyer,
                kind=data["kind"],
                reason=data["reason"],
                amount=data["amount"],
                description=data.get("description", ""),
                requested_at=data["requested_at"],
                covered=not r.not_covered,
                not_covered_reason=r.not_covered,
                content_hash=r.fingerprint,
            )
        )
    for r, refund in zip(requests, RefundRequest.objects.bulk_create(rows), strict=True):
        r.refund = refund


def _open_claims(requests: list[_Request]) -> None:
    """R30/R32/R90 as refunds._open_claim: the claims, their audit rows, their policies (R24)."""
    review = dt.timedelta(hours=decisions.claim_settings().review_hours)
    rows = [
        Claim(
            refund=r.refund,
            line=r.line,
            policy=r.line.order.policy,
            shop_id=r.refund.shop_id,
            buyer=r.refund.buyer,
            kind=r.refund.kind,
            amount=r.refund.amount,
            payable_cap=r.line.payable_cap,  # R36
            submitted_at=r.refund.requested_at,
            review_due_at=r.refund.requested_at + review,  # R32, R90
        )
        for r in requests
    ]
    for r, claim in zip(requests, Claim.objects.bulk_create(rows), strict=True):
        r.claim = fsm.held(claim)  # created by this transaction
    _log_submitted([r.claim for r in requests])
    Policy.objects.filter(pk__in={r.claim.policy_id for r in requests}).exclude(
        claim_status=PolicyClaimStatus.IN_PROGRESS
    ).update(claim_status=PolicyClaimStatus.IN_PROGRESS)
    rollups.record_claims_opened(
        (r.claim.shop_id, r.claim.submitted_at, r.refund.reason, r.claim.state) for r in requests
    )


def _log_submitted(claims: list[Claim]) -> None:
    """R40: the audit row of each claim's creation (portal.audit.log_created, at once)."""
    content_type = ContentType.objects.get_for_model(Claim)
    StateLog.objects.bulk_create(
        StateLog(
            timestamp=claim.submitted_at,
            by=None,
            source_state=None,
            state=ClaimState.SUBMITTED,
            transition="submit",
            content_type=content_type,
            object_id=claim.pk,
            description="system: R30 covered request routed to the insurer",
        )
        for claim in claims
    )


def _insert_evidence(requests: list[_Request]) -> None:
    """R85/R102: the verified images' files, then their rows in one INSERT."""
    rows = [
        evidence_build(
            data=raw,
            name=name,
            kind="buyer",
            shop_id=r.refund.shop_id,
            refund=r.refund,
            claim=r.claim,
            stored=r.item.stored,
            verified=verified,
        )
        for r in requests
        for name, raw, verified in r.images
    ]
    Evidence.objects.bulk_create(rows)


# --- R39 fast track ---


def _fast_track(claimed: list[_Request]) -> None:
    settings = decisions.claim_settings()
    candidates = [r for r in claimed if refunds.fast_track_candidate(r.claim, settings)]
    if not candidates:
        return
    buyers = {r.claim.buyer_id for r in candidates}
    upheld = set(
        BuyerFeedback.objects.filter(buyer_id__in=buyers, state=FeedbackState.UPHELD).values_list(
            "buyer_id", flat=True
        )
    )
    recent = _recent_claims(claimed, candidates)
    for r in candidates:
        if r.claim.buyer_id in upheld:
            continue
        rule = refunds.fast_track_verdict(r.claim, settings, recent=recent[r.claim.pk])
        if rule:
            decisions.claim_approve_by_system(r.claim, rule=rule, at=r.claim.submitted_at)


def _recent_claims(claimed: list[_Request], candidates: list[_Request]) -> dict[int, int]:
    """R39: each candidate's buyer's other claims submitted in the 90 days before it, as the
    per-event path counts them: those before this chunk, and those of earlier events."""
    window = dt.timedelta(days=refunds.FAST_TRACK_DAYS)
    since = min(r.claim.submitted_at for r in candidates) - window
    position = {r.claim.pk: n for n, r in enumerate(claimed)}
    rows = list(
        Claim.objects.filter(
            buyer_id__in={r.claim.buyer_id for r in candidates}, submitted_at__gte=since
        ).values_list("pk", "buyer_id", "submitted_at")
    )
    counts = {}
    for r in candidates:
        claim, mine = r.claim, position[r.claim.pk]
        counts[claim.pk] = sum(
            1
            for pk, buyer_id, at in rows
            if buyer_id == claim.buyer_id
            and at >= claim.submitted_at - window
            and pk != claim.pk
            and position.get(pk, -1) < mine
        )
    return counts
