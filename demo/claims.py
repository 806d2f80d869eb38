"""The demo's claims taken through the reviewer's and the merchant's services (seed_demo):
every lasting R41 state, overdue reviews, a paid policy and abnormal-buyer feedback."""

import datetime as dt
import random
import sys
from collections import Counter

from django.utils import timezone

import simulator
from claims.models import (
    Claim,
    ClaimState,
    FeedbackCategory,
    Policy,
    PolicyClaimStatus,
    ServiceBreach,
)
from claims.services import decisions, feedback, refunds
from claims.services.sweep import sweep_deadlines
from enrollment.models import Shop

REJECTIONS = [
    "图片无法证明存在质量问题，请与商家协商",
    "申请原因与描述不符：商品为人为损坏",
]


def _after(instant: dt.datetime, hours: float, now: dt.datetime) -> dt.datetime:
    return min(instant + dt.timedelta(hours=hours), now)


class DemoClaims:
    """Takes some simulated claims of the active shop through the reviewer's and merchant's
    services so the demo shows every lasting R41 state, overdue reviews, a paid policy
    (理赔成功) and abnormal-buyer feedback. Other claims stay as the simulation left them."""

    def __init__(self, platform_id: str, *, reviewer, merchant):
        self.shop = Shop.objects.get(platform_shop_id=platform_id)
        self.reviewer, self.merchant = reviewer, merchant
        self.now = timezone.now()
        self.rng = random.Random(2026)

    def drive(self) -> None:
        waiting = list(
            Claim.objects.filter(shop=self.shop, state=ClaimState.SUBMITTED).order_by(
                "submitted_at", "pk"
            )
        )
        used = self._returns([c for c in waiting if c.kind == "return_and_refund"])
        paid = [c for c in waiting if c.kind == "refund_only"][:1]
        for claim in paid:  # approved, refunded and paid in one request (R35)
            self._approve(claim, at=_after(claim.submitted_at, 3, self.now))
        rest = [c for c in waiting if c not in used and c not in paid]
        for claim, reason in zip(rest, REJECTIONS, strict=False):
            decisions.claim_reject(
                claim_id=claim.pk,
                actor=self.reviewer,
                reason=reason,
                at=_after(claim.submitted_at, 5, self.now),
            )
        self._ensure_cancelled(rest[len(REJECTIONS) :])
        # R33 timeouts, R38 late receipts; what is left in review past 24 h is flagged overdue;
        # a receipt deadline within a day is told to the merchant (issue 11)
        sweep_deadlines(now=self.now)
        self._settle_one_breach()
        self._feedback()
        self._ensure_paid_policy()

    def _returns(self, returns: list[Claim]) -> list[Claim]:
        """Oldest first: closed for no return in time; received and paid; receipt refused
        (left for the insurer, upheld, overruled); shipped with its receipt deadline within
        a day (issue 11). The newest two are decided now, so their
        deadlines lie ahead: a return on its way, and one awaited."""
        older, newest = returns[:-2], returns[-2:]
        steps = list(
            zip(
                ["timeout", "confirm", "refuse", "uphold", "overrule", "due_soon"],
                older,
                strict=False,
            )
        )
        steps += list(zip(["shipped", "awaiting"], newest, strict=False))
        for step, claim in steps:
            getattr(self, f"_return_{step}")(claim)
        return [claim for _step, claim in steps]

    def _approve(self, claim: Claim, *, at=None) -> None:
        decisions.claim_approve(
            claim_id=claim.pk, actor=self.reviewer, note="图片清楚，质量问题属实", at=at
        )

    def _ship(self, claim: Claim, *, at) -> None:
        decisions.claim_ship_return(
            claim_id=claim.pk,
            carrier="顺丰速运",
            tracking_number=f"SF{self.rng.randrange(10**11, 10**12)}",
            at=at,
        )

    def _backdated_return(self, claim: Claim) -> dt.datetime:
        """Approved 3 h after submission, shipped a day later; returns the shipping time."""
        approved = _after(claim.submitted_at, 3, self.now)
        self._approve(claim, at=approved)
        shipped = _after(approved, 26, self.now)
        self._ship(claim, at=shipped)
        return shipped

    def _return_timeout(self, claim: Claim) -> None:
        # approved long ago: the 7-day tracking deadline has passed; the sweep closes it (R33)
        self._approve(claim, at=_after(claim.submitted_at, 3, self.now))

    def _return_confirm(self, claim: Claim) -> None:
        shipped = self._backdated_return(claim)
        decisions.claim_confirm_receipt(
            claim_id=claim.pk, actor=self.merchant, at=_after(shipped, 48, self.now)
        )

    def _refuse(self, claim: Claim, ground: str, note: str) -> None:
        shipped = self._backdated_return(claim)
        decisions.claim_refuse_receipt(
            claim_id=claim.pk,
            actor=self.merchant,
            ground=ground,
            note=note,
            evidence=[simulator.image_evidence(self.rng, f"parcel-{claim.pk}")],
            at=_after(shipped, 48, self.now),
        )

    def _return_refuse(self, claim: Claim) -> None:
        self._refuse(claim, "empty_parcel", "收到的是空箱，附开箱照片")

    def _return_uphold(self, claim: Claim) -> None:
        self._refuse(claim, "wrong_item", "退回的不是本店商品，序列号不符")
        decisions.claim_uphold_refusal(
            claim_id=claim.pk, actor=self.reviewer, note="序列号与发货记录不符，拒收成立"
        )

    def _return_overrule(self, claim: Claim) -> None:
        self._refuse(claim, "missing_items", "少了配件")
        decisions.claim_overrule_refusal(
            claim_id=claim.pk, actor=self.reviewer, note="配件在箱内夹层，拒收不成立"
        )

    def _return_shipped(self, claim: Claim) -> None:
        self._approve(claim)
        self._ship(claim, at=self.now)

    def _return_due_soon(self, claim: Claim) -> None:
        """Approved and shipped long enough ago that the merchant's receipt deadline falls
        within a day: the sweep's "deadline coming" notification (issue 11)."""
        days = decisions.claim_settings().receipt_days
        approved = max(self.now - dt.timedelta(days=days, hours=-6), claim.submitted_at)
        self._approve(claim, at=approved)
        self._ship(claim, at=_after(approved, 6, self.now))

    def _return_awaiting(self, claim: Claim) -> None:
        self._approve(claim)

    def _settle_one_breach(self) -> None:
        """R38 / seed 4-3: the platform granted one breach's points; it no longer counts."""
        breach = ServiceBreach.objects.filter(shop=self.shop).order_by("recorded_at").first()
        if breach is not None:
            decisions.breach_settle(breach_id=breach.pk, actor=None)

    def _ensure_cancelled(self, candidates: list[Claim]) -> None:
        """The simulated buyers withdraw a few requests; if none did, one withdraws here."""
        if Claim.objects.filter(shop=self.shop, state=ClaimState.CANCELLED).exists():
            return
        if candidates:
            refund = candidates[-1].refund
            refunds.refund_cancel(refund_id=refund.platform_refund_id, at=self.now)

    def _feedback(self) -> None:
        """R60: one report waiting for the insurer, one the insurer upheld."""
        buyers = Counter(
            Claim.objects.filter(shop=self.shop).values_list("buyer_id", flat=True)
        ).most_common()
        claims = [
            Claim.objects.filter(shop=self.shop, buyer_id=buyer).latest("submitted_at")
            for buyer, _n in buyers[:2]
        ]
        if claims:
            feedback.feedback_create(
                shop=self.shop,
                actor=self.merchant,
                category=FeedbackCategory.REPEATED_REQUESTS,
                description="该买家近一个月多次以质量问题申请退款",
                claim=claims[0],
            )
        if len(claims) > 1:
            report = feedback.feedback_create(
                shop=self.shop,
                actor=self.merchant,
                category=FeedbackCategory.PROFITEERING,
                description="买家退回的商品与发出的不一致，疑似调包",
                claim=claims[1],
            )
            feedback.feedback_uphold(
                feedback_id=report.pk, actor=self.reviewer, note="核实属实，已记录"
            )

    def _ensure_paid_policy(self) -> None:
        if not Policy.objects.filter(shop=self.shop, claim_status=PolicyClaimStatus.PAID).exists():
            sys.stderr.write("demo: no policy with a paid claim (理赔成功)\n")
