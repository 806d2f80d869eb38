"""The ingestion benchmark's in-process measurements (bench/ingest.py): SQL queries and
milliseconds per event of each type, the rate of one mixed batch, and a profile of
`apply_events`, on the bench database with Django set up in this process."""

import cProfile
import datetime as dt
import io
import pstats
import time

from bench.ingest_workload import Workload


def queries_per_event(workload: Workload) -> list[tuple[str, int, int, float]]:
    """(label, events, queries, ms per event) for a batch of each event type, in-process.

    Each batch is applied twice on different orders: once to count the queries, once timed
    without the capture."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from platform_api.ingest import apply_events

    n = 200
    cases = [
        ("order.placed", 0, {}),
        ("order.shipped", 1, {}),
        ("order.received", 2, {}),
        ("refund.requested: merchant-handled", 3, {"reason": "wrong_size"}),
        ("refund.requested: claim for review", 3, {"reason": "quality_issue", "tier": 1}),
        (
            "refund.requested: fast track, refund-only paid",
            3,
            {"reason": "quality_issue", "tier": 5, "kind": "refund_only", "price": 99},
        ),
        (
            "refund.requested: fast track, return",
            3,
            {"reason": "quality_issue", "tier": 5, "kind": "return_and_refund", "price": 99},
        ),
    ]
    rows = []
    for index, (label, stage, refund) in enumerate(cases):
        tag = f"Q{index}"
        for pass_ in ("count", "time"):
            for earlier in range(stage):  # the orders' history up to this stage
                apply_events(workload.batch_of(f"{tag}{pass_}", earlier, n, **refund))
            batch = workload.batch_of(f"{tag}{pass_}", stage, n, **refund)
            if pass_ == "count":
                reset_queries()  # the log keeps 9,000 queries: start each count empty
                with CaptureQueriesContext(connection) as captured:
                    results = apply_events(batch)
                queries = len(captured.captured_queries)
            else:
                start = time.perf_counter()
                results = apply_events(batch)
                ms = (time.perf_counter() - start) * 1000 / n
            bad = [r for r in results if r.status != "applied"]
            if bad:
                raise RuntimeError(f"{label}: {bad[0].as_dict()}")
        rows.append((label, n, queries, ms))
        if "return" in label:
            rows += follow_ups(f"{tag}count", f"{tag}time", n)
    return rows


def follow_ups(count_tag: str, time_tag: str, n: int) -> list[tuple[str, int, int, float]]:
    """refund.return_shipped and refund.cancelled on the fast-tracked return claims."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from claims.models import Claim
    from platform_api import events as build
    from platform_api.ingest import apply_events

    # R33: each return ships (and each withdrawal happens) before its claim's return deadline,
    # one hour after the approval, judged by the event's own time.
    decided = dict(
        Claim.objects.filter(
            refund__platform_refund_id__startswith=f"{count_tag[:-5]}"
        ).values_list("refund__platform_refund_id", "decided_at")
    )

    def when(rid):
        return (decided.get(rid) or timezone.now()) + dt.timedelta(hours=1)

    def shipped(tag, i):
        rid = f"{tag}-{i:03d}-R"
        return build.return_shipped(
            rid, carrier="顺丰", tracking_number=f"SF{i}", shipped_at=when(rid)
        )

    def cancelled(tag, i):
        rid = f"{tag}-{i:03d}-R"
        return build.refund_cancelled(rid, cancelled_at=when(rid))

    rows = []
    half = n // 2
    for label, make, span in (
        ("refund.return_shipped", shipped, range(half)),
        ("refund.cancelled (awaiting return)", cancelled, range(half, n)),
    ):
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            apply_events([make(count_tag, i) for i in span])
        start = time.perf_counter()
        results = apply_events([make(time_tag, i) for i in span])
        ms = (time.perf_counter() - start) * 1000 / len(span)
        if any(r.status != "applied" for r in results):
            raise RuntimeError(f"{label}: {[r.as_dict() for r in results][:1]}")
        rows.append((label, len(span), len(captured.captured_queries), ms))
    return rows


def in_process_rate(workload: Workload) -> tuple[float, int]:
    """(events/s of one mixed batch, SQL queries of another of the same shape)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from platform_api.ingest import apply_events

    batch = workload.batch("IP")
    start = time.perf_counter()
    apply_events(batch)
    rate = len(batch) / (time.perf_counter() - start)
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        apply_events(workload.batch("IQ"))
    return rate, len(captured.captured_queries)


def profile(workload: Workload, top=35) -> str:
    from platform_api.ingest import apply_events

    batch = workload.batch("PR")
    profiler = cProfile.Profile()
    profiler.runcall(apply_events, batch)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()
