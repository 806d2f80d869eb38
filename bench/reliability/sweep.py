"""Scenario 4, sweep: SIGKILL `manage.py sweep_deadlines` half-way through many due claims and
rerun it: the same claim states, payouts and audit rows as one clean sweep on a copy."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter

from bench.common import ROOT, db_name, drop_database, recreate_database
from bench.reliability.harness import check, close_db
from bench.reliability.traffic import Events


def build_due_claims(events: Events, n: int) -> dict:
    """n due items in three kinds: returns with no tracking number (R33), shipped returns the
    merchant never confirmed (R38), reviews past 24 h (R32)."""
    from platform_api.events import return_shipped
    from platform_api.ingest import apply_events

    batch, shipped = [], []
    for i in range(n):
        kind = ("timeout", "receipt", "review")[i % 3]
        tier = 1 if kind == "review" else 5  # 5: fast-tracked to awaiting the return (R39)
        evs = events.order(
            f"SW-{kind}-{i:05d}",
            days_ago=40,
            tier=tier,
            kind="return_and_refund",
            reason="quality_issue",
            price=99,
        )
        batch += evs
        if kind == "receipt":
            refund = evs[3]["data"]
            at = dt.datetime.fromisoformat(refund["requested_at"]) + dt.timedelta(days=1)
            shipped.append(
                return_shipped(
                    refund["refund_id"], carrier="顺丰", tracking_number=f"SF{i}", shipped_at=at
                )
            )
    counts = Counter()
    for start in range(0, len(batch), 1000):
        counts.update(r.status for r in apply_events(batch[start : start + 1000]))
    for start in range(0, len(shipped), 1000):
        counts.update(r.status for r in apply_events(shipped[start : start + 1000]))
    return counts


def claim_picture() -> dict:
    from django.db.models import Count, Sum
    from django_fsm_log.models import StateLog

    from claims.models import BuyerCompensation, Claim, Payout, ServiceBreach

    return {
        "states": dict(Claim.objects.values_list("pk", "state")),
        "overdue flags": Claim.objects.filter(review_overdue=True).count(),
        "payouts": (Payout.objects.count(), Payout.objects.aggregate(s=Sum("amount"))["s"]),
        "compensations": (
            BuyerCompensation.objects.count(),
            BuyerCompensation.objects.aggregate(s=Sum("amount"))["s"],
        ),
        "breaches": (
            ServiceBreach.objects.count(),
            ServiceBreach.objects.aggregate(s=Sum("points"))["s"],
        ),
        "audit rows": dict(StateLog.objects.values_list("transition").annotate(n=Count("id"))),
    }


def run_sweep(env, database_url) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "sweep_deadlines"],
        cwd=ROOT,
        env={**os.environ, **env, "DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def with_database(database_url: str):
    """Point this process's Django at another database (closing the current connections)."""
    from django.db import connections

    close_db()
    settings_dict = connections["default"].settings_dict
    settings_dict["NAME"] = db_name(database_url)


def due_count() -> int:
    """Claims the sweep will settle (returns past their deadline), as of now."""
    from django.db.models import Q
    from django.utils import timezone

    from claims.models import Claim, ClaimState

    now = timezone.now()
    return Claim.objects.filter(
        Q(state=ClaimState.AWAITING_RETURN, return_due_at__lt=now)
        | Q(state=ClaimState.RETURN_SHIPPED, receipt_due_at__lt=now)
    ).count()


def scenario_sweep(args, env, events):
    from django.utils import timezone

    from claims.models import Claim, ClaimState

    print("\n== 4. SIGKILL manage.py sweep_deadlines at 60% of the due claims, rerun it")
    copy_url = args.database_url + "_sweep_copy"
    started = time.monotonic()
    counts = build_due_claims(events, args.due)
    now = timezone.now()
    due = {
        "returns with no tracking number": Claim.objects.filter(
            state=ClaimState.AWAITING_RETURN, return_due_at__lt=now
        ).count(),
        "returns never confirmed": Claim.objects.filter(
            state=ClaimState.RETURN_SHIPPED, receipt_due_at__lt=now
        ).count(),
        "reviews past 24 h": Claim.objects.filter(
            state=ClaimState.SUBMITTED, review_due_at__lt=now, review_overdue=False
        ).count(),
    }
    print(f"    built in {time.monotonic() - started:.0f} s (events {dict(counts)}): {due}")
    close_db()
    recreate_database(copy_url, template=db_name(args.database_url))
    try:
        clean = run_sweep(env, copy_url)
        out, _ = clean.communicate(timeout=600)
        print(
            f"    clean sweep on a copy: {out.strip().splitlines()[-1] if out.strip() else out!r}"
        )
        with_database(copy_url)
        reference = claim_picture()
        with_database(args.database_url)

        total_due = due_count()
        proc = run_sweep(env, args.database_url)
        killed_at, deadline = None, time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            settled = total_due - due_count()
            if settled >= total_due * 0.6:
                proc.send_signal(signal.SIGKILL)
                killed_at = settled
                break
            time.sleep(0.05)
        proc.wait(timeout=30)
        done = total_due - due_count()
        print(
            f"    SIGKILL after {killed_at} of {total_due} claims settled "
            f"(exit {proc.returncode}); "
            f"{done} settled and committed"
        )
        check(
            killed_at is not None and proc.returncode == -signal.SIGKILL and done < total_due,
            "the sweep was killed half-way",
        )
        partial = claim_picture()
        check(
            partial["payouts"][0] == sum(1 for s in partial["states"].values() if s == "paid"),
            "after the kill: every paid claim has its payout",
        )
        rerun = run_sweep(env, args.database_url)
        out, _ = rerun.communicate(timeout=600)
        print(f"    rerun: {out.strip().splitlines()[-1] if out.strip() else out!r}")
        final = claim_picture()
        same_states = final["states"] == reference["states"]
        diff = sum(1 for pk, s in final["states"].items() if reference["states"].get(pk) != s)
        check(
            same_states,
            f"claim states equal the clean sweep's ({len(final['states'])} claims, {diff} differ)",
        )
        for key in ("overdue flags", "payouts", "compensations", "breaches", "audit rows"):
            check(final[key] == reference[key], f"{key}: {final[key]} = clean {reference[key]}")
    finally:
        close_db()
        drop_database(copy_url)
