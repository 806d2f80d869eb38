"""Scenario 2, kill: SIGKILL gunicorn (master and workers) in the middle of a 1,000-event
batch, restart it, send the batch again, and again: each event applied exactly once."""

import threading
import time
from collections import Counter

from bench.reliability.harness import check
from bench.reliability.ledger import evidence_files, ledger, reconcile_partial
from bench.reliability.traffic import Tally, post_events


def scenario_kill(args, portal, secret, events, media_root):
    from platform_api.models import PlatformEvent

    print(f"\n== 2. kill -9 gunicorn in the middle of a 1,000-event batch (at ~{args.kill_at:.0%})")
    batch = events.batch("K9", 250)
    ids = [e["id"] for e in batch]
    files_before = evidence_files(media_root)
    answer = {}
    poster = threading.Thread(
        target=lambda: answer.update(r=post_events(portal.base, batch, secret, timeout=300)),
        daemon=True,
    )
    poster.start()
    target, applied_at_kill, deadline = int(len(batch) * args.kill_at), 0, time.monotonic() + 240
    while time.monotonic() < deadline and poster.is_alive():
        applied_at_kill = PlatformEvent.objects.filter(event_id__startswith="K9-").count()
        if applied_at_kill >= target:
            break
        time.sleep(0.02)
    processes = portal.kill9()
    poster.join(timeout=30)
    applied_at_kill = PlatformEvent.objects.filter(event_id__startswith="K9-").count()
    status, results, error = answer.get("r", (None, None, "no answer"))
    print(
        f"    SIGKILL to {processes} processes (master + workers) with {applied_at_kill} of "
        f"{len(batch)} events applied; the client got: {error or status}"
    )
    check(results is None, "the client saw the connection fail (no answer)")
    check(not portal.group_alive(), "no gunicorn process left")
    from claims.models import Evidence, Order, Policy, RefundRequest

    rows = set(Evidence.objects.values_list("file", flat=True))
    orphans = evidence_files(media_root) - files_before - rows
    print(f"    evidence files left without a row by the kill: {len(orphans)}")
    after_kill = reconcile_partial(media_root)
    took = portal.start()
    print(f"    gunicorn restarted, answering /healthz in {took:.1f} s")
    tally = Tally()
    status, results, error = post_events(portal.base, batch, secret, timeout=300)
    tally.record(batch, status, results, error)
    counts = tally.totals()
    print(f"    resend 1: HTTP {status}: {dict(counts)}")
    check(
        counts["duplicate"] == applied_at_kill,
        f"duplicates {counts['duplicate']} = applied before the kill {applied_at_kill}",
    )
    check(
        counts["applied"] == len(batch) - applied_at_kill,
        f"applied {counts['applied']} = the rest {len(batch) - applied_at_kill}",
    )
    once = ledger()
    status, results, error = post_events(portal.base, batch, secret, timeout=300)
    again = Counter(r["status"] for r in results or [])
    print(f"    resend 2: HTTP {status}: {dict(again)}")
    check(again == Counter(duplicate=len(batch)), "the second resend is all duplicates")
    twice = ledger()
    check(once == twice, "ledger sums and counts unchanged by the second resend")
    stored = PlatformEvent.objects.filter(event_id__in=ids).count()
    check(
        stored == len(batch) == len(set(ids)),
        f"PlatformEvent rows for the batch: {stored} of {len(batch)}, each once",
    )
    k9 = {
        "orders": Order.objects.filter(platform_order_id__startswith="K9-").count(),
        "policies": Policy.objects.filter(order__platform_order_id__startswith="K9-").count(),
        "refunds": RefundRequest.objects.filter(platform_refund_id__startswith="K9-").count(),
        "evidence": Evidence.objects.filter(refund__platform_refund_id__startswith="K9-").count(),
    }
    check(
        k9 == {"orders": 250, "policies": 250, "refunds": 250, "evidence": 250},
        f"the batch's rows: {k9}",
    )
    check(
        twice["events"] - after_kill["events"] == len(batch) - applied_at_kill,
        "the resends stored only the missing events",
    )
