"""Refund intake: every request is recorded; covered ones become claims (R30, R31, R39, R44)."""

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ValidationError

from claims import rollups
from claims.models import (
    COVERAGE_HOURS,
    COVERED_REASONS,
    OPEN_CLAIM_STATES,
    BuyerFeedback,
    Claim,
    ClaimSettings,
    ClaimState,
    FeedbackState,
    NotCoveredReason,
    Order,
    OrderLine,
    Policy,
    PolicyClaimStatus,
    RefundKind,
    RefundReason,
    RefundRequest,
)
from claims.services import decisions
from claims.services.evidence import evidence_check_count, evidence_store, verify_image
from portal import audit, fsm
from portal.transactions import service

KNOWN_REASONS = set(RefundReason.values)
FAST_TRACK_DAYS = 90  # R39: a buyer's recent claims are those of the last 90 days


def content_hash(**fields) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def coverage(*, order: Order, policy: Policy | None, reason: str, requested_at, buyer) -> str:
    """R30: '' when covered, else the first reason it is not (R44 names)."""
    if policy is None:
        return NotCoveredReason.NO_POLICY
    if order.received_at is None or requested_at < order.received_at:
        return NotCoveredReason.BEFORE_RECEIPT
    if requested_at > order.received_at + dt.timedelta(hours=COVERAGE_HOURS):  # R23 inclusive end
        return NotCoveredReason.OUTSIDE_WINDOW
    if reason not in COVERED_REASONS:  # seed FAQ 11: another reason is never covered
        return NotCoveredReason.REASON_NOT_COVERED
    if not buyer.eligible:  # R62
        return NotCoveredReason.BUYER_INELIGIBLE
    return ""


def fast_track_rule(claim: Claim, settings: ClaimSettings) -> str | None:
    """R39: the rule that lets the system approve, or None. Thresholds stay insurer-only."""
    if not fast_track_candidate(claim, settings):
        return None
    buyer = claim.buyer
    if BuyerFeedback.objects.filter(buyer=buyer, state=FeedbackState.UPHELD).exists():
        return None
    since = claim.submitted_at - dt.timedelta(days=FAST_TRACK_DAYS)
    recent = Claim.objects.filter(buyer=buyer, submitted_at__gte=since).exclude(pk=claim.pk).count()
    return fast_track_verdict(claim, settings, recent=recent)


def fast_track_candidate(claim: Claim, settings: ClaimSettings) -> bool:
    """R39's tests that need no query (the event API reads the others for a whole batch)."""
    return (
        settings.fast_track_enabled
        and claim.buyer.credit_tier >= settings.fast_track_min_credit_tier
        and claim.amount <= settings.fast_track_max_amount
    )


def fast_track_verdict(claim: Claim, settings: ClaimSettings, *, recent: int) -> str | None:
    """R39 for a candidate without upheld abnormal-buyer feedback, given its buyer's other
    claims submitted since 90 days before it: the rule, or None."""
    buyer = claim.buyer
    if recent > settings.fast_track_max_recent_claims:
        return None
    return (
        f"R39 fast track: credit tier {buyer.credit_tier} >= "
        f"{settings.fast_track_min_credit_tier}, "
        f"amount {claim.amount} <= {settings.fast_track_max_amount}, {recent} claims in 90 days "
        f"<= {settings.fast_track_max_recent_claims}, no upheld abnormal-buyer feedback"
    )


LIVE_CLAIM_STATES = [*OPEN_CLAIM_STATES, ClaimState.PAID]  # R42: one live claim per sub-order


def request_fingerprint(
    *,
    order_id: str,
    line_id: str,
    kind: str,
    reason: str,
    amount: Decimal,
    description: str,
    requested_at: dt.datetime,
    evidence: list[tuple[str, bytes]],
) -> str:
    """What a refund.requested asks, hashed: the same request sent again is a duplicate, a
    different one under the same refund id a conflict (R82)."""
    return content_hash(
        order_id=order_id,
        line_id=line_id,
        kind=kind,
        reason=reason,
        amount=str(amount),
        description=description,
        requested_at=requested_at.isoformat(),
        evidence=[hashlib.sha256(data).hexdigest() for _name, data in evidence],
    )


def request_problem(
    *,
    refund_id: str,
    order_id: str,
    line_id: str,
    kind: str,
    reason: str,
    amount: Decimal,
    evidence_count: int,
    fingerprint: str,
    prior_hash: Callable[[], str | None],
    find_line: Callable[[], OrderLine | None],
    order_exists: Callable[[], bool],
) -> tuple[ValidationError | None, OrderLine | None]:
    """Why a refund.requested is refused before its images are decoded, or None, with its
    sub-order: the one statement of these rules, in this order, for the service and the
    set-based path (platform_api.bulk_refunds) alike. The reads are callables, each called
    only when its rule is reached: the content hash already recorded under `refund_id`, the
    sub-order (the service locks it here), whether the order exists."""
    if kind not in RefundKind.values:
        return ValidationError(f"unknown kind {kind!r}", code="bad_kind"), None
    if reason not in KNOWN_REASONS:
        return ValidationError(f"unknown reason code {reason!r}", code="bad_reason"), None
    try:
        evidence_check_count(evidence_count)
    except ValidationError as error:
        return error, None
    prior = prior_hash()
    if prior is not None:
        if prior == fingerprint:
            return ValidationError(
                f"refund {refund_id!r} is already recorded", code="duplicate_refund"
            ), None
        return ValidationError(
            f"refund {refund_id!r} was already recorded with different content",
            code="refund_conflict",
        ), None
    line = find_line()
    if line is None:
        if not order_exists():
            return ValidationError(f"unknown order {order_id!r}", code="unknown_order"), None
        return ValidationError(
            f"unknown line {line_id!r} in order {order_id!r}", code="unknown_line"
        ), None
    # R30: every request is recorded, whatever it asks for; R36 caps what a claim pays at the
    # line's paid amount + 10.00 (`Claim.payable`), so a request above the cap is recorded
    # with its amount and its claim pays the cap.
    if amount <= 0:
        return ValidationError(f"amount {amount} must be above 0", code="bad_amount"), None
    return None, line


def claim_problem(
    *, line_id: str, not_covered: str, has_live_claim: Callable[[], bool]
) -> ValidationError | None:
    """R42: why a covered request cannot become a claim (its sub-order has a live one), or
    None; an uncovered request is recorded whatever the line's claims."""
    if not not_covered and has_live_claim():
        return ValidationError(
            f"line {line_id!r} already has a claim in progress or paid", code="line_has_claim"
        )
    return None


@service
def refund_request(
    *,
    refund_id: str,
    order_id: str,
    line_id: str,
    kind: str,
    reason: str,
    amount: Decimal,
    description: str,
    evidence: list[tuple[str, bytes]],
    requested_at: dt.datetime,
    stored: list | None = None,
) -> RefundRequest:
    """Record a buyer's refund request; a covered one becomes a claim for the insurer (R32)."""
    fingerprint = request_fingerprint(
        order_id=order_id,
        line_id=line_id,
        kind=kind,
        reason=reason,
        amount=amount,
        description=description,
        requested_at=requested_at,
        evidence=evidence,
    )
    problem, line = request_problem(
        refund_id=refund_id,
        order_id=order_id,
        line_id=line_id,
        kind=kind,
        reason=reason,
        amount=amount,
        evidence_count=len(evidence),
        fingerprint=fingerprint,
        prior_hash=lambda: (
            RefundRequest.objects.filter(platform_refund_id=refund_id)
            .values_list("content_hash", flat=True)
            .first()
        ),
        # R42: the sub-order's row is locked until this request commits, so two requests on
        # one line at once decide one after the other (the second sees the first one's
        # claim); the constraint "claim_one_live_per_line" holds it in the database as well.
        find_line=lambda: (
            OrderLine.objects.select_for_update(of=("self",))
            .select_related("order", "order__buyer", "order__policy")
            .filter(order__platform_order_id=order_id, platform_line_id=line_id)
            .first()
        ),
        order_exists=lambda: Order.objects.filter(platform_order_id=order_id).exists(),
    )
    if problem:
        raise problem
    order = line.order
    # verify all before writing anything, each image decoded once (R85)
    verified = [verify_image(data, name=name) for name, data in evidence]
    policy = getattr(order, "policy", None)
    buyer = order.buyer
    not_covered = coverage(
        order=order, policy=policy, reason=reason, requested_at=requested_at, buyer=buyer
    )
    problem = claim_problem(
        line_id=line_id,
        not_covered=not_covered,
        has_live_claim=lambda: Claim.objects.filter(
            state__in=LIVE_CLAIM_STATES, line=line
        ).exists(),
    )
    if problem:
        raise problem
    refund = RefundRequest.objects.create(
        platform_refund_id=refund_id,
        order=order,
        line=line,
        shop_id=order.shop_id,
        buyer=buyer,
        kind=kind,
        reason=reason,
        amount=amount,
        description=description,
        requested_at=requested_at,
        covered=not not_covered,
        not_covered_reason=not_covered,
        content_hash=fingerprint,
    )
    claim = None
    if not not_covered:
        claim = _open_claim(refund=refund, policy=policy, line=line, at=requested_at)
    for (name, data), answer in zip(evidence, verified, strict=True):
        evidence_store(
            data=data,
            name=name,
            kind="buyer",
            shop_id=order.shop_id,
            refund=refund,
            claim=claim,
            stored=stored,
            verified=answer,
        )
    if claim is not None:
        rule = fast_track_rule(claim, decisions.claim_settings())
        if rule:
            decisions.claim_approve_by_system(claim, rule=rule, at=requested_at)
    return refund


def _open_claim(*, refund: RefundRequest, policy: Policy, line, at: dt.datetime) -> Claim:
    settings = decisions.claim_settings()
    claim = Claim.objects.create(
        refund=refund,
        line=line,
        policy=policy,
        shop_id=refund.shop_id,
        buyer=refund.buyer,
        kind=refund.kind,
        amount=refund.amount,
        payable_cap=line.payable_cap,  # R36
        submitted_at=at,
        review_due_at=at + dt.timedelta(hours=settings.review_hours),  # R32, R90
    )
    fsm.held(claim)  # created by this transaction: no one else sees it before commit
    rollups.record_claims_opened([(claim.shop_id, claim.submitted_at, refund.reason, claim.state)])
    audit.log_created(
        claim,
        by=None,
        state=ClaimState.SUBMITTED,
        transition="submit",
        at=at,
        description="system: R30 covered request routed to the insurer",
    )
    # R24: a new claim puts its policy in progress, whatever its other claims did.
    Policy.objects.filter(pk=policy.pk).exclude(claim_status=PolicyClaimStatus.IN_PROGRESS).update(
        claim_status=PolicyClaimStatus.IN_PROGRESS
    )
    return claim


@service
def refund_cancel(*, refund_id: str, at: dt.datetime) -> RefundRequest:
    """The buyer withdrew: a claim in review or awaiting the return is cancelled (R41)."""
    try:
        refund = fsm.lock(RefundRequest.objects.all(), platform_refund_id=refund_id)
    except RefundRequest.DoesNotExist:
        raise ValidationError(f"unknown refund {refund_id!r}", code="unknown_refund") from None
    claim = Claim.objects.filter(refund=refund).values_list("pk", flat=True).first()
    fsm.fire(
        refund,
        "cancel",
        by=None,
        at=at,
        description="buyer withdrew the request",
        refused=lambda: ValidationError(
            f"refund {refund_id!r} is already cancelled", code="already_cancelled"
        ),
    )
    if claim is not None:
        decisions.claim_cancel(claim_id=claim, at=at)
    return refund


def refund_return_shipped(
    *, refund_id: str, carrier: str, tracking_number: str, at, reported_at=None
) -> Claim:
    claim = Claim.objects.filter(refund__platform_refund_id=refund_id).first()
    if claim is None:
        if RefundRequest.objects.filter(platform_refund_id=refund_id).exists():
            raise ValidationError(
                f"refund {refund_id!r} is merchant-handled: no claim to ship a return for",
                code="illegal_transition",
            )
        raise ValidationError(f"unknown refund {refund_id!r}", code="unknown_refund")
    return decisions.claim_ship_return(
        claim_id=claim.pk,
        carrier=carrier,
        tracking_number=tracking_number,
        at=at,
        reported_at=reported_at,
    )
