"""What a correct run keeps consistent, and its reconciliation with what the API answered."""

from decimal import Decimal
from pathlib import Path

from bench.reliability.harness import check
from bench.reliability.traffic import Tally


def evidence_files(media_root) -> set[str]:
    root = Path(media_root) / "evidence"
    return {str(p.relative_to(media_root)) for p in root.rglob("*") if p.is_file()}


CAPPED = "paid claims' min(amount, cap)"


def ledger() -> dict:
    """Counts and sums that a correct run keeps consistent."""
    from django.db.models import Count, F, Sum
    from django.db.models.functions import Least

    from claims.models import (
        BuyerCompensation,
        Claim,
        ClaimState,
        Evidence,
        Order,
        OrderLine,
        Payout,
        Policy,
        RefundRequest,
        ServiceBreach,
    )
    from platform_api.models import PlatformEvent

    paid = Claim.objects.filter(state=ClaimState.PAID)
    return {
        "events": PlatformEvent.objects.count(),
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "orders received": Order.objects.filter(received_at__isnull=False).count(),
        "policies": Policy.objects.count(),
        "refunds": RefundRequest.objects.count(),
        "covered refunds": RefundRequest.objects.filter(covered=True).count(),
        "claims": Claim.objects.count(),
        "claims by state": dict(Claim.objects.values_list("state").annotate(n=Count("id"))),
        "evidence rows": Evidence.objects.count(),
        "paid claims": paid.count(),
        "payouts": Payout.objects.count(),
        "payout sum": Payout.objects.aggregate(s=Sum("amount"))["s"] or Decimal("0.00"),
        CAPPED: paid.aggregate(s=Sum(Least(F("amount"), F("payable_cap"))))["s"] or Decimal("0.00"),
        "compensations": BuyerCompensation.objects.count(),
        "compensation sum": BuyerCompensation.objects.aggregate(s=Sum("amount"))["s"]
        or Decimal("0.00"),
        "breaches": ServiceBreach.objects.count(),
        "premium sum": Policy.objects.aggregate(s=Sum("premium"))["s"] or Decimal("0.00"),
    }


def premiums_recomputed() -> Decimal:
    """sum over policies of paid x rate, rounded half-up per policy (R1, R22), in Python."""
    from decimal import ROUND_HALF_UP

    from claims.models import Policy

    total = Decimal("0.00")
    for paid, rate in Policy.objects.values_list("order__paid_amount", "order__rate").iterator():
        total += (paid * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return total


def reconcile(tally: Tally, media_root: str, *, before: dict | None = None) -> dict:
    from claims.models import Claim, ClaimState, Order, RefundRequest
    from platform_api.models import PlatformEvent

    now = ledger()
    base = before or {k: 0 for k in now}
    applied = {t: c["applied"] for t, c in tally.status.items()}

    def grew(key):
        return now[key] - base[key]

    totals = tally.totals()
    sent = sum(tally.sent.values())
    check(
        totals["applied"] + totals["duplicate"] + totals["rejected"] == sent,
        f"applied {totals['applied']} + duplicate {totals['duplicate']} + rejected "
        f"{totals['rejected']} = sent {sent}",
    )
    check(
        grew("events") == totals["applied"],
        f"PlatformEvent rows +{grew('events')} = applied {totals['applied']}",
    )
    stored = set(
        PlatformEvent.objects.filter(event_id__in=tally.applied_ids).values_list(
            "event_id", flat=True
        )
    )
    check(stored == tally.applied_ids, f"every applied event id is stored ({len(stored)})")
    for key, kind in [
        ("orders", "order.placed"),
        ("policies", "order.shipped"),
        ("orders received", "order.received"),
        ("refunds", "refund.requested"),
        ("evidence rows", "refund.requested"),  # one photo per refund request
    ]:
        check(
            grew(key) == applied.get(kind, 0),
            f"{key} +{grew(key)} = applied {kind} {applied.get(kind, 0)}",
        )
    check(
        now["lines"] == now["orders"],
        f"order lines {now['lines']} = orders {now['orders']} (one line each)",
    )
    check(
        now["claims"] == now["covered refunds"],
        f"claims {now['claims']} = covered refunds {now['covered refunds']}",
    )
    check(
        not RefundRequest.objects.filter(covered=True, claim__isnull=True).exists()
        and not Order.objects.filter(lines__isnull=True).exists(),
        "no order without its line, no covered refund without its claim",
    )
    files = evidence_files(media_root)
    check(
        len(files) >= now["evidence rows"],
        f"evidence files {len(files)} >= rows {now['evidence rows']}",
    )
    check(
        now["payouts"] == now["paid claims"],
        f"payouts {now['payouts']} = paid claims {now['paid claims']}",
    )
    capped = now[CAPPED]
    check(
        now["payout sum"] == capped,
        f"payout sum {now['payout sum']} = sum of min(amount, cap) over paid claims {capped}",
    )
    returns_paid = Claim.objects.filter(state=ClaimState.PAID, kind="return_and_refund").count()
    check(
        now["compensations"] == returns_paid,
        f"buyer compensations {now['compensations']} = paid returns {returns_paid}",
    )
    recomputed = premiums_recomputed()
    check(
        now["premium sum"] == recomputed,
        f"premium sum {now['premium sum']} = sum(round(paid x rate)) {recomputed}",
    )
    return now


def reconcile_partial(media_root) -> dict:
    """Right after the kill: whatever was committed is whole."""
    from claims.models import Claim, ClaimState, Order, Payout, RefundRequest

    whole = (
        not Order.objects.filter(lines__isnull=True).exists()
        and not RefundRequest.objects.filter(covered=True, claim__isnull=True).exists()
        and Payout.objects.count() == Claim.objects.filter(state=ClaimState.PAID).count()
    )
    check(
        whole,
        "after the kill: no order without lines, no covered refund without claim, "
        "no paid claim without payout",
    )
    return ledger()
