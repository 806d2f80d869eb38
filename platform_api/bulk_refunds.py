"""R30-R32, R39, R42, R44, R85: refund.requested, set-based (the contract of platform_api.bulk).

The chunk's refunds, sub-orders (locked, R42), orders, policies and buyers are read in three
queries; each request is checked in memory in event order as
claims.services.refunds.refund_request checks it (same rules, same messages); the requests
that pass are written with one INSERT per table (refund requests, claims, their "submit"
audit rows, evidence) and one UPDATE of the policies (R24). The claims the R39 fast track
approves then go through the one transition runner (claims.services.decisions), one by one.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django_fsm_log.models import StateLog

from claims import rollups
from claims.models import (
    Claim,
    ClaimState,
    Evidence,
    Order,
    OrderLine,
    Policy,
    PolicyClaimStatus,
    RefundRequest,
)
from claims.services import decisions, policies, refunds
from claims.services.evidence import evidence_build, verify_image
from platform_api import bulk_fast_track as fast_track


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
                state__in=refunds.LIVE_CLAIM_STATES,
                line_id__in=[line.pk for line in self.lines.values()],
            ).values_list("line_id", flat=True)
        )

    def take(self, request: _Request) -> None:
        """A later request of the chunk sees this one recorded (and its claim, R42)."""
        self.hashes[request.item.data["refund_id"]] = request.fingerprint
        if not request.not_covered:
            self.live.add(request.line.pk)


def _check(item, known: _Known) -> _Request:
    """refund_request's checks, the same functions in the same order
    (claims.services.refunds.request_problem, claim_problem), over what the chunk read."""
    data = item.data
    refund_id, order_id, line_id = data["refund_id"], data["order_id"], data["line_id"]
    evidence = [(e["filename"], e["content_base64"]) for e in data.get("evidence", [])]
    fingerprint = refunds.request_fingerprint(
        order_id=order_id,
        line_id=line_id,
        kind=data["kind"],
        reason=data["reason"],
        amount=data["amount"],
        description=data.get("description", ""),
        requested_at=data["requested_at"],
        evidence=evidence,
    )
    problem, line = refunds.request_problem(
        refund_id=refund_id,
        order_id=order_id,
        line_id=line_id,
        kind=data["kind"],
        reason=data["reason"],
        amount=data["amount"],
        evidence_count=len(evidence),
        fingerprint=fingerprint,
        prior_hash=lambda: known.hashes.get(refund_id),
        find_line=lambda: known.lines.get((order_id, line_id)),
        order_exists=lambda: order_id in known.orders,
    )
    if problem:
        raise problem
    images = [(name, raw, verify_image(raw, name=name)) for name, raw in evidence]
    order = line.order
    not_covered = refunds.coverage(
        order=order,
        policy=getattr(order, "policy", None),
        reason=data["reason"],
        requested_at=data["requested_at"],
        buyer=order.buyer,
    )
    problem = refunds.claim_problem(
        line_id=line_id, not_covered=not_covered, has_live_claim=lambda: line.pk in known.live
    )
    if problem:
        raise problem
    return _Request(item, line, fingerprint, not_covered, images)


# --- writing ---


def _write(requests: list[_Request]) -> None:
    _insert_refunds(requests)
    claimed = [r for r in requests if not r.not_covered]
    if claimed:
        _open_claims(claimed)
    _insert_evidence(requests)


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


def _claim_fields(r: _Request, review: dt.timedelta) -> dict:
    """refunds._open_claim's claim (R30, R32, R36, R90)."""
    return {
        "refund": r.refund,
        "line": r.line,
        "policy": r.line.order.policy,
        "shop_id": r.refund.shop_id,
        "buyer": r.refund.buyer,
        "kind": r.refund.kind,
        "amount": r.refund.amount,
        "payable_cap": r.line.payable_cap,  # R36
        "submitted_at": r.refund.requested_at,
        "review_due_at": r.refund.requested_at + review,  # R32, R90
    }


def _open_claims(requests: list[_Request]) -> None:
    """The claims, fast-tracked ones in the state R39's approval leaves (bulk_fast_track),
    their audit rows, their policies' status (R24) and the rollups."""
    review = dt.timedelta(hours=decisions.claim_settings().review_hours)
    fields = [_claim_fields(r, review) for r in requests]
    rules = fast_track.decide([Claim(**f) for f in fields])
    approvals = {n: fast_track.approval(fields[n], rule) for n, rule in rules.items()}
    rows = [
        Claim(**f, **(approvals[n].fields if n in approvals else {})) for n, f in enumerate(fields)
    ]
    for r, claim in zip(requests, Claim.objects.bulk_create(rows), strict=True):
        r.claim = claim
    _log_claims([r.claim for r in requests], approvals)
    opened = {r.claim.policy_id for r in requests}
    Policy.objects.filter(pk__in=opened).exclude(claim_status=PolicyClaimStatus.IN_PROGRESS).update(
        claim_status=PolicyClaimStatus.IN_PROGRESS
    )
    if approvals:
        policies.policy_refresh_claim_status(requests[n].claim.policy_id for n in approvals)
    rollups.record_claims_opened(
        (r.claim.shop_id, r.claim.submitted_at, r.refund.reason, ClaimState.SUBMITTED)
        for r in requests
    )
    fast_track.write([(requests[n].claim, a) for n, a in approvals.items()])


def _log_claims(claims: list[Claim], approvals: dict) -> None:
    """R40: each claim's creation (portal.audit.log_created) and the transitions of its
    R39 approval, in the order the per-event path writes them, in one INSERT."""
    content_type = ContentType.objects.get_for_model(Claim)
    rows = []
    for n, claim in enumerate(claims):
        created = {
            "timestamp": claim.submitted_at,
            "source_state": None,
            "state": ClaimState.SUBMITTED,
            "transition": "submit",
            "description": "system: R30 covered request routed to the insurer",
        }
        moves = fast_track.audit_rows(claim, approvals[n]) if n in approvals else []
        rows += [
            StateLog(by=None, content_type=content_type, object_id=claim.pk, **row)
            for row in [created, *moves]
        ]
    StateLog.objects.bulk_create(rows)


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
