"""Scenario 3, pg: restart PostgreSQL (or terminate this database's sessions) during load:
requests fail while it is down, then succeed without restarting gunicorn; the failed
batches are sent again (idempotent) and the tables reconcile."""

import re
import subprocess
import threading
import time
from collections import defaultdict

from bench.common import admin_url, db_name
from bench.reliability.harness import check, close_db
from bench.reliability.ledger import ledger
from bench.reliability.traffic import Browser, Pace, Sender, Tally, browse_report, post_events


def pg_cluster(args) -> list[str]:
    if args.pg_cluster:
        return args.pg_cluster.split()
    lines = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout.split(
        "\n"
    )
    version, name = lines[0].split()[:2]
    return [version, name]


def pg_ready() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0


def pg_ensure_up(cluster) -> None:
    """However the run ends, PostgreSQL is left running."""
    if pg_ready():
        return
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, "start"], timeout=120)
    for _ in range(120):
        if pg_ready():
            return
        time.sleep(0.5)


class PgProbe(threading.Thread):
    """A new connection and SELECT 1 every 50 ms: when PostgreSQL really refused and answered."""

    def __init__(self, database_url, stop):
        super().__init__(name="pg-probe", daemon=True)
        self.url, self.stop, self.samples = admin_url(database_url, db_name(database_url)), stop, []

    def run(self):
        import psycopg

        while not self.stop.is_set():
            started = time.monotonic()
            try:
                with psycopg.connect(self.url, connect_timeout=1) as conn:
                    conn.execute("SELECT 1")
                ok = True
            except psycopg.Error:
                ok = False
            self.samples.append((started, ok))
            self.stop.wait(0.05)

    def down_window(self):
        """(first refused, first answered after the last refusal) or None."""
        failed = [t for t, ok in self.samples if not ok]
        if not failed:
            return None
        back = [t for t, ok in self.samples if ok and t > failed[-1]]
        return failed[0], back[0] if back else None


def wait_for_quiet(database_url: str, limit: float) -> tuple[float, int]:
    """The restart cuts everyone's sessions (other engineers' test runs on this machine):
    wait, at most `limit` s, for a moment when no other database has a client session."""
    import psycopg

    started, others = time.monotonic(), -1
    while time.monotonic() - started < limit:
        with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
            others = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                "AND datname IS NOT NULL AND datname NOT IN (%s, 'postgres')",
                [db_name(database_url)],
            ).fetchone()[0]
        if others == 0:
            break
        time.sleep(1)
    return time.monotonic() - started, others


def pg_fault(args, cluster, database_url) -> tuple[float, float]:
    """(start, end) monotonic of the fault."""
    started = time.monotonic()
    if args.pg_fault == "restart":
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", "-m", "fast", *cluster, "restart"],
            check=True,
            timeout=120,
        )
        for _ in range(240):
            if pg_ready():
                break
            time.sleep(0.25)
    else:
        import psycopg

        with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [db_name(database_url)],
            )
    return started, time.monotonic()


def scenario_pg(args, portal, secret, events, media_root, cluster):
    what = (
        "restart of the PostgreSQL cluster"
        if args.pg_fault == "restart"
        else "termination of every session of this database"
    )
    print(
        f"\n== 3. {what} during load ({args.pg_seconds:.0f} s, at t=6 s); "
        f"DATABASE_URL {'with' if args.conn_health_checks else 'without'} conn_health_checks"
    )
    tally, stats, timeline, stop = Tally(), defaultdict(list), [], threading.Event()
    close_db()
    before = ledger()
    close_db()
    pace = Pace(min(args.rate, 200))
    threads = [
        Browser(f"P{i}", portal, stop, stats, timeline, seed=10 + i, think=args.think)
        for i in range(args.browsers)
    ]
    threads += [
        Sender(f"G{i}", portal, secret, events, tally, pace, stop, args.batch, retry=True)
        for i in range(1)
    ]
    probe = PgProbe(args.database_url, stop)
    threads.append(probe)
    t0 = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(6)
    if args.pg_fault == "restart":
        waited, others = wait_for_quiet(args.database_url, limit=90)
        print(
            f"    waited {waited:.0f} s for other databases' sessions to end "
            f"({others} still connected)"
        )
    fault_start, fault_end = pg_fault(args, cluster, args.database_url)
    print(
        f"    the fault took {fault_end - fault_start:.1f} s "
        f"(t={fault_start - t0:.1f} to {fault_end - t0:.1f} s)"
    )
    time.sleep(
        max(12.0 - (time.monotonic() - fault_end), args.pg_seconds - (time.monotonic() - t0))
    )
    stop.set()
    for thread in threads:
        thread.join(timeout=180)
    close_db()
    events_timeline = [(t, ok, "events") for t, ok, _ in tally.timeline]
    all_requests = sorted(timeline + events_timeline)  # (start, ok, what)
    window = probe.down_window()
    if window and window[1]:
        down, back = window
        print(
            f"    PostgreSQL refused new connections from t={down - t0:.2f} s to "
            f"t={back - t0:.2f} s ({back - down:.2f} s; probe every 50 ms)"
        )
    else:
        down, back = fault_start, fault_end
        print("    the probe saw no refused connection (sessions terminated only)")
    print("    timeline (per second of request start: ok/failed, pages and event batches):")
    buckets = defaultdict(lambda: [0, 0])
    for t, ok, _ in all_requests:
        buckets[int(t - t0)][0 if ok else 1] += 1
    print("      " + " ".join(f"{s}s:{o}/{f}" for s, (o, f) in sorted(buckets.items())))
    failures = [t for t, ok, _ in all_requests if not ok]
    stale = [t for t in failures if t >= back]
    print(
        f"    failed requests: {len(failures)}, of which {len(failures) - len(stale)} started "
        f"while PostgreSQL was down or going down and {len(stale)} after it answered again"
        + (f" (the last at +{stale[-1] - back:.2f} s)" if stale else "")
    )
    tail = [ok for t, ok, _ in all_requests if t > back + 3]
    check(
        bool(tail) and all(tail),
        f"recovered by itself: all {len(tail)} requests started from 3 s after PostgreSQL "
        "answered again succeeded (no gunicorn restart)",
    )
    browse_report(stats)
    print(f"    event batches: {dict(tally.http)}; events to send again: {len(tally.retry)}")
    for attempt in range(1, 6):
        pending, tally.retry = tally.retry, []
        if not pending:
            break
        for start in range(0, len(pending), 500):
            chunk = pending[start : start + 500]
            status, results, error = post_events(portal.base, chunk, secret)
            tally.record(chunk, status, results, error, retry_failures=True)
        print(
            f"    resend round {attempt}: {len(pending)} events, {len(tally.retry)} still to send"
        )
    check(not tally.retry, "every failed event was applied on a resend")
    # The failed requests' events were counted once answered; rejections "retry later" were
    # counted as rejected, then again when resent: reconcile on what is stored.
    reconcile_pg(tally, before)


def reconcile_pg(tally, before):
    """A request cut by the fault may have applied some events unseen: they come back as
    duplicates on the resend. So: every valid event sent is stored, exactly once."""
    from platform_api.models import PlatformEvent

    now = ledger()
    valid = {i for i in tally.attempted_ids if not re.search(r"-X[12]/", i)}
    stored = set(
        PlatformEvent.objects.filter(event_id__in=valid).values_list("event_id", flat=True)
    )
    check(stored == valid, f"every valid event sent is stored: {len(stored)} of {len(valid)}")
    grown = now["events"] - before["events"]
    check(
        grown == len(valid),
        f"PlatformEvent rows +{grown} = distinct valid events sent {len(valid)}",
    )
    check(
        now["orders"] == now["lines"]
        and now["payouts"] == now["paid claims"]
        and now["claims"] == now["covered refunds"],
        "tables consistent after the fault",
    )
    check(
        now["payout sum"] == now["paid claims' min(amount, cap)"],
        f"payout sum {now['payout sum']} = sum of min(amount, cap)",
    )
