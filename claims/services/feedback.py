"""Abnormal buyers (R60-R62)."""

from django.core.exceptions import ValidationError
from django.utils import timezone

from claims.models import Buyer, BuyerFeedback, Claim, FeedbackCategory, FeedbackState, Policy
from claims.services.evidence import evidence_check_count, evidence_store
from portal import audit, fsm
from portal.formkit import REASON_REQUIRED
from portal.transactions import service

DESCRIPTION_REQUIRED = "Please describe the problem."
BAD_CATEGORY = "Choose a category."


@service
def feedback_create(
    *,
    shop,
    actor,
    category: str,
    description: str,
    policy: Policy | None = None,
    claim: Claim | None = None,
    evidence: list[tuple[str, bytes]] = (),
    stored: list | None = None,
) -> BuyerFeedback:
    """R60: the merchant reports a buyer problem from a policy or claim of its own shop."""
    if category not in FeedbackCategory.values:
        raise ValidationError({"category": BAD_CATEGORY})
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": DESCRIPTION_REQUIRED})
    evidence_check_count(len(evidence))
    source = claim or policy
    if source is None or source.shop_id != shop.pk:
        raise ValidationError("report a buyer from one of your own policies or claims")
    buyer_id = claim.buyer_id if claim else policy.order.buyer_id
    feedback = BuyerFeedback.objects.create(
        shop=shop,
        buyer_id=buyer_id,
        policy=policy or (claim.policy if claim else None),
        claim=claim,
        category=category,
        description=description,
        created_by=actor,
    )
    audit.log_created(feedback, by=actor, state=FeedbackState.OPEN, transition="report")
    for name, data in evidence:
        evidence_store(
            data=data, name=name, kind="feedback", shop_id=shop.pk, feedback=feedback, stored=stored
        )
    return feedback


def _decide(feedback_id: int, name: str, *, actor, note: str) -> BuyerFeedback:
    feedback = fsm.lock(BuyerFeedback.objects.all(), pk=feedback_id)
    fsm.fire(
        feedback,
        name,
        refused=lambda: ValidationError(
            f"this feedback is already {feedback.state}", code="illegal_transition"
        ),
        by=actor,
        at=timezone.now(),
        description=(note or "").strip(),
    )
    return feedback


@service
def feedback_uphold(*, feedback_id: int, actor, note: str = "") -> BuyerFeedback:
    """The report holds: it counts against the buyer (e.g. no fast track, R39)."""
    return _decide(feedback_id, "uphold", actor=actor, note=note)


@service
def feedback_dismiss(*, feedback_id: int, actor, note: str = "") -> BuyerFeedback:
    return _decide(feedback_id, "dismiss", actor=actor, note=note)


@service
def buyer_revoke_eligibility(
    *, buyer_id: int, actor, reason: str, credit_impact: str = ""
) -> Buyer:
    """R62: later requests from this buyer are merchant-handled; the credit impact is recorded."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    buyer = fsm.lock(Buyer.objects.all(), pk=buyer_id)
    fsm.fire(
        buyer,
        "revoke",
        by=actor,
        refused=lambda: ValidationError(
            "this buyer's eligibility is already revoked", code="already_revoked"
        ),
        action="revoke the eligibility of",
        at=timezone.now(),
        description=reason,
        credit_impact=(credit_impact or "credit rating lowered (R62)").strip()[:200],
    )
    return buyer
