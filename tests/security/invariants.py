"""What "never half-applied" means, checked over the whole database after each fuzzed call.

An event is all or nothing (R83): an order always has its lines, a covered refund request
always has its claim, a paid claim always has its payout, and every evidence row points at
a stored file that decodes as the image it claims to be (R85), with no stray file beside
them. `assert_consistent` raises AssertionError naming the first broken rule.
"""

import hashlib
import os

from django.core.files.storage import default_storage
from django.db.models import Count, F, Sum

from claims.models import (
    RETURN_SHIPPING,
    Claim,
    ClaimState,
    Evidence,
    Order,
    Payout,
    Policy,
    RefundRequest,
)
from claims.services.evidence import verify_image
from platform_api.models import PlatformEvent
from portal.money import money


def assert_orders_whole() -> None:
    lonely = Order.objects.annotate(n=Count("lines")).filter(n=0)
    assert not lonely.exists(), f"orders without lines: {list(lonely[:3])}"
    for order in Order.objects.annotate(total=Sum("lines__paid_amount")).exclude(
        total=F("paid_amount")
    )[:3]:
        raise AssertionError(f"order {order} paid {order.paid_amount} != lines {order.total}")
    unshipped = Policy.objects.filter(order__shipped_at__isnull=True)
    assert not unshipped.exists(), "a policy for an order that has not shipped"
    uninsured = Policy.objects.filter(order__insured=False)
    assert not uninsured.exists(), "a policy for an uninsured order"
    missing = Order.objects.filter(insured=True, shipped_at__isnull=False, policy__isnull=True)
    assert not missing.exists(), "an insured, shipped order without its policy"
    for policy in Policy.objects.select_related("order")[:500]:
        expected = money(policy.order.paid_amount * policy.rate)
        assert policy.premium == expected, f"policy {policy} premium {policy.premium} != {expected}"


def assert_refunds_whole() -> None:
    covered_alone = RefundRequest.objects.filter(covered=True, claim__isnull=True)
    assert not covered_alone.exists(), f"covered refunds without a claim: {list(covered_alone)}"
    uncovered_claims = Claim.objects.filter(refund__covered=False)
    assert not uncovered_claims.exists(), "a claim on a merchant-handled refund"
    orphans = RefundRequest.objects.exclude(line__order=F("order"))
    assert not orphans.exists(), "a refund on a line of another order"


def assert_ledger_whole() -> None:
    unpaid = Claim.objects.filter(state=ClaimState.PAID, payout__isnull=True)
    assert not unpaid.exists(), "a paid claim without its payout"
    stray = Payout.objects.exclude(claim__state=ClaimState.PAID)
    assert not stray.exists(), "a payout on a claim that is not paid"
    for payout in Payout.objects.select_related("claim"):
        claim = payout.claim
        assert payout.amount == min(claim.amount, claim.payable_cap), f"payout {payout.pk} amount"
    # R30/R36: a request above the line's paid amount is recorded with its amount; what its
    # claim may pay is capped at paid + 10.00, and the cap is what the claim carries.
    wrong_cap = Claim.objects.exclude(payable_cap=F("line__paid_amount") + RETURN_SHIPPING)
    assert not wrong_cap.exists(), "a claim whose payable cap is not the line's paid + 10.00"


def evidence_files() -> set[str]:
    """Names (relative to the storage) of every file under the evidence folder."""
    root = os.path.join(default_storage.location, "evidence")
    found = set()
    for folder, _dirs, files in os.walk(root):
        for name in files:
            found.add(os.path.relpath(os.path.join(folder, name), default_storage.location))
    return found


def assert_evidence_valid(*, files_before: set[str] = frozenset()) -> None:
    """Every evidence row has its file, a valid image of its type; no other file appeared."""
    names = set()
    for evidence in Evidence.objects.all():
        assert evidence.refund_id or evidence.claim_id or evidence.feedback_id, evidence.pk
        with default_storage.open(evidence.file.name, "rb") as handle:
            data = handle.read()
        content_type, width, height = verify_image(data, name=evidence.original_name)
        assert (content_type, width, height, len(data)) == (
            evidence.content_type,
            evidence.width,
            evidence.height,
            evidence.size,
        ), evidence.pk
        assert hashlib.sha256(data).hexdigest() == evidence.sha256
        names.add(evidence.file.name)
    strays = evidence_files() - names - set(files_before)
    assert not strays, f"stored files with no evidence row (half-applied): {sorted(strays)[:3]}"


def assert_events_match(applied_ids: set[str]) -> None:
    """A PlatformEvent row exists exactly for the events the API answered `applied`."""
    stored = set(PlatformEvent.objects.values_list("event_id", flat=True))
    assert stored == applied_ids, (
        f"stored but not reported applied: {sorted(stored - applied_ids)[:3]}; "
        f"reported applied but not stored: {sorted(applied_ids - stored)[:3]}"
    )


def snapshot() -> tuple:
    """A cheap fingerprint of what an event can write: when it has not moved since the last
    full check, the database is as consistent as it was then."""
    return (
        tuple(
            Order.objects.aggregate(
                n=Count("id"), shipped=Count("shipped_at"), received=Count("received_at")
            ).values()
        ),
        PlatformEvent.objects.count(),
        RefundRequest.objects.count(),
        RefundRequest.objects.filter(cancelled_at__isnull=False).count(),
        tuple(Claim.objects.values_list("state").annotate(n=Count("id")).order_by("state")),
        Payout.objects.count(),
        Evidence.objects.count(),
        Policy.objects.count(),
        len(evidence_files()),
    )


def assert_consistent(*, applied_ids: set[str] | None = None, files_before=frozenset()) -> None:
    assert_orders_whole()
    assert_refunds_whole()
    assert_ledger_whole()
    assert_evidence_valid(files_before=files_before)
    if applied_ids is not None:
        assert_events_match(applied_ids)
