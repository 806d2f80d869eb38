"""Scenario 1, load: merchants browse while the marketplace sends signed event batches at a
shared target rate: zero 5xx; applied + duplicate + rejected = sent; tables and ledger
reconcile."""

import threading
import time
from collections import defaultdict

from bench.common import cpu_busy, cpu_times
from bench.reliability.harness import check
from bench.reliability.ledger import ledger, reconcile
from bench.reliability.traffic import Browser, Pace, Sender, Tally, browse_report


def scenario_load(args, portal, secret, events, media_root):
    print(
        f"\n== 1. load: {args.seconds:.0f} s, {args.browsers} merchants browsing "
        f"(~{args.think:.2f} s between pages), "
        f"{args.senders} senders at a target of {args.rate:.0f} events/s in batches of {args.batch}"
    )
    tally, stats, timeline, stop = Tally(), defaultdict(list), [], threading.Event()
    before = ledger()
    pace = Pace(args.rate)
    threads = [
        Browser(f"B{i}", portal, stop, stats, timeline, seed=i, think=args.think)
        for i in range(args.browsers)
    ]
    threads += [
        Sender(f"L{i}", portal, secret, events, tally, pace, stop, args.batch)
        for i in range(args.senders)
    ]
    cpu0, started = cpu_times(), time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(args.seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=180)
    elapsed = time.monotonic() - started
    sent = sum(tally.sent.values())
    print(
        f"    events: {sent} sent in {elapsed:.1f} s = {sent / elapsed:.0f} events/s "
        f"(target {args.rate:.0f}){cpu_busy(cpu0, cpu_times(), sep='; ')}"
    )
    print(
        f"    requests: {dict(tally.http)}; per type: "
        + "; ".join(f"{t} {dict(c)}" for t, c in sorted(tally.status.items()))
    )
    for reason, n in tally.errors.most_common(4):
        print(f"      rejected x{n}: {reason}")
    bad_pages = browse_report(stats)
    bad_events = sum(n for s, n in tally.http.items() if s == "no answer" or s >= 500)
    check(
        bad_pages == 0 and bad_events == 0,
        f"zero 5xx or unanswered: pages {bad_pages}, event batches {bad_events}",
    )
    check(
        sum(len(r) for r in stats.values()) > 0 and "login failed" not in stats,
        "merchants signed in and browsed",
    )
    reconcile(tally, media_root, before=before)
