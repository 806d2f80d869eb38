"""Issue 14's proof on the topology of bench/cluster/up (root; about 8 minutes):

    flock /tmp/bench.lock .venv/bin/python bench/cluster/scenario.py
    flock /tmp/bench.lock .venv/bin/python bench/cluster/scenario.py --only faults --seconds 60

1. reads   merchant pages per second through HAProxy, the nodes reading from the primary
           only, then split to the replica (rows read on each cluster shown);
2. events  signed event batches per second with 1 node, then 2 nodes behind HAProxy;
3. faults  the simulator's events and merchants browsing and writing through HAProxy while
           node 1 is killed -9 and restarted, the replica is stopped and started, worker 1
           and the scheduler holding the lock are killed -9: no 5xx beyond the requests in
           flight on the killed node, every event applied exactly once, every merchant's
           write on the very next page, the replica caught up with the same rows.

It brings the topology up (fresh database) and leaves it up; `bench/cluster/down` stops it.
"""

import argparse
import os
import re
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.cluster import topology as topo  # noqa: E402
from bench.reliability import run as rel  # noqa: E402


class Site:
    base = topo.balancer_url()


RUN = f"{int(time.time()) % 100000:05d}"  # event ids of this run: new events, not duplicates


def load() -> str:
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def rows_read() -> dict:
    sql = f"SELECT tup_returned + tup_fetched FROM pg_stat_database WHERE datname = '{topo.DB}'"
    return {name: int(topo.psql(port, sql) or 0) for name, port in (topo.PRIMARY, topo.REPLICA)}


def restart_nodes(count: int, *, replica: bool = True) -> None:
    for n in range(1, 4):
        topo.kill(f"node{n}", topo.signal.SIGTERM)
    os.environ.pop("CLUSTER_NO_REPLICA", None)
    if not replica:
        os.environ["CLUSTER_NO_REPLICA"] = "1"
    for n in range(1, count + 1):
        topo.start_node(n)
    for n in range(1, count + 1):
        assert topo.node_ready(n, 120), f"node {n} did not start"
    # HAProxy's health checks (inter 1 s, rise 2) see exactly the new set
    assert topo.wait_balancer({f"node{n}" for n in range(1, count + 1)}), topo.balancer_servers()


class Merchant(rel.Browser):
    """The reliability run's browsing merchant, who tries to log in again if a node dies."""

    def login(self) -> bool:
        for _ in range(5):
            if super().login():
                return True
            self.stop.wait(1)
        return False


# --- 1. reads ---


def measure_reads(seconds: float, browsers: int) -> dict:
    stats, timeline, stop = defaultdict(list), [], threading.Event()
    threads = [Merchant(f"R{i}", Site, stop, stats, timeline, seed=i) for i in range(browsers)]
    for thread in threads:
        thread.start()
    time.sleep(3)  # logged in, warmed up
    before, start = rows_read(), len(timeline)
    time.sleep(seconds)
    pages, after = len(timeline) - start, rows_read()
    stop.set()
    for thread in threads:
        thread.join(60)
    bad = sum(1 for rows in stats.values() for status, _t in rows if not status or status >= 500)
    return {
        "pages/s": round(pages / seconds, 1),
        "rows read": {k: after[k] - before[k] for k in after},
        "5xx": bad,
        "load": load(),
    }


# --- 2. events ---


def measure_events(seconds: float, senders: int, batch: int, tag: str) -> dict:
    tally, stop, events = rel.Tally(), threading.Event(), rel.Events()
    pace = rel.Pace(1e9)  # as fast as the portal answers
    threads = [
        rel.Sender(
            f"{tag}{i}", Site, topo.secrets_file()["platform"], events, tally, pace, stop, batch
        )
        for i in range(senders)
    ]
    wal0 = topo.psql(topo.PRIMARY[1], "SELECT pg_current_wal_lsn()")
    cpu0, started = rel.cpu_times(), time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(180)
    elapsed = time.monotonic() - started
    sent = sum(tally.sent.values())
    wal = topo.psql(topo.PRIMARY[1], f"SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '{wal0}')")
    return {
        "events/s": round(sent / elapsed),
        "WAL bytes/event": round(float(wal) / max(1, sent)),
        "http": dict(tally.http),
        "cpu": rel.cpu_busy(cpu0, rel.cpu_times()).lstrip("; "),
    }


# --- 3. faults ---


class Writer(Merchant):
    """A merchant who reports a buyer from a policy (a POST), then must see the report on the
    page the POST redirects to, and opens a claim's evidence photo (shared file storage)."""

    def __init__(self, *args, outcomes, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcomes = outcomes

    def post(self, path, fields):
        token = next((c.value for c in self.jar if c.name == "csrftoken"), "")
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(
            self.portal.base + path, data=body, headers={"Referer": self.portal.base + path}
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, ""
        except OSError:
            return None, ""

    def run(self):
        if not self.login():
            self.outcomes["login failed"] += 1
            return
        for n in range(100_000):
            if self.stop.wait(self.rng.uniform(0.5, 1.5)):
                return
            status, html = self.get("/policies/")
            self.timeline.append((time.monotonic(), bool(status) and status < 500, "page"))
            policies = re.findall(r'href="/policies/(\d+)/"', html)
            if not policies:
                continue
            text = f"RYW {self.name}-{n:05d}"
            started = time.monotonic()
            status, html = self.post(
                f"/policies/{self.rng.choice(policies)}/report-buyer/",
                {"category": "other", "description": text},
            )
            self.timeline.append((started, bool(status) and status < 500, "write"))
            if status == 200:
                self.outcomes["writes seen at once" if text in html else "WRITE NOT SEEN"] += 1
            self.evidence()

    def evidence(self):
        status, html = self.get("/refunds/?business=warranty")
        claims = re.findall(r'href="/claims/(\d+)/"', html)
        if not claims:
            return
        status, html = self.get(f"/claims/{self.rng.choice(claims)}/")
        photos = re.findall(r'"(/claims/evidence/\d+/)"', html)
        if photos:
            status, body = self.get(photos[0])
            self.outcomes["evidence photos served" if status == 200 else "EVIDENCE FAILED"] += 1


def failures(timelines, windows):
    """Failed requests: in flight at a kill (started before it, within its window), or not."""
    in_flight, beyond = 0, []
    for started, ok, what in (row for timeline in timelines for row in timeline):
        if ok:
            continue
        if any(kill - 130 <= started <= kill + 0.3 for kill in windows):
            in_flight += 1
        else:
            beyond.append((round(started, 1), what))
    return in_flight, beyond


def applied_unanswered(tally, unanswered: set[str]) -> None:
    """An event of a request that got no answer (in flight on the killed node) that comes back
    `duplicate` when sent again was applied by that request: count it applied, once."""
    from platform_api.models import PlatformEvent

    stored = set(
        PlatformEvent.objects.filter(event_id__in=unanswered).values_list("event_id", flat=True)
    )
    missing = stored - tally.applied_ids
    for event_id in missing:
        kind = event_id.rsplit("/", 1)[1]
        tally.status[kind]["duplicate"] -= 1
        tally.status[kind]["applied"] += 1
        tally.applied_ids.add(event_id)
    print(f"    applied by requests that got no answer (then duplicate): {len(missing)}")


def wait_for_other_scheduler(killed: str, timeout=30.0) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        holder = topo.scheduler_lock_holder()
        if holder not in (None, killed):
            return holder
        time.sleep(0.5)
    return None


def enqueue_tasks(n: int) -> list[str]:
    from claims.tasks import sweep_deadlines_task

    return [str(sweep_deadlines_task.enqueue().id) for _ in range(n)]


def scenario_faults(args) -> None:
    from django_tasks_db.models import DBTaskResult

    print(f"\n== 3. faults: {args.seconds:.0f} s of events (~{args.rate:.0f}/s) and merchants")
    t0 = time.monotonic()
    tally, stats, timeline, stop = rel.Tally(), defaultdict(list), [], threading.Event()
    writes, outcomes, events = [], Counter(), rel.Events(seed=14)
    secret = topo.secrets_file()["platform"]
    pace = rel.Pace(args.rate)
    threads = [
        rel.Sender(f"F{RUN}-{i}", Site, secret, events, tally, pace, stop, 100, retry=True)
        for i in range(2)
    ]
    threads += [Merchant(f"B{i}", Site, stop, stats, timeline, seed=i, think=0.3) for i in range(3)]
    threads += [
        Writer(f"W{i}", Site, stop, stats, writes, seed=10 + i, outcomes=outcomes) for i in range(3)
    ]
    before = rel.ledger()
    for thread in threads:
        thread.start()
    kills, tasks, log, lock = [], [], [], {"holder": topo.scheduler_lock_holder()}

    def at(second, what, action):
        time.sleep(max(0.0, t0 + second * args.seconds / 90 - time.monotonic()))
        result = action()
        log.append(f"t={time.monotonic() - t0:5.1f} s  {what}{result or ''}")
        print(f"    {log[-1]}", flush=True)

    at(10, "kill -9 node 1 (master and workers)", lambda: kills.append(time.monotonic()))
    topo.kill("node1")
    at(20, "restart node 1", lambda: topo.start_node(1) or (topo.node_ready(1, 120) and ": ready"))
    at(30, "stop the replica (pg_ctlcluster stop -m fast)",
       lambda: topo.pg_ctl(topo.REPLICA[0], "stop") and None)  # fmt: skip
    at(45, "start the replica", lambda: topo.pg_ctl(topo.REPLICA[0], "start") and None)
    at(48, "replica caught up", lambda: f" in {topo.wait_caught_up():.1f} s")

    def kill_worker_and_scheduler():
        tasks.extend(enqueue_tasks(30))
        topo.kill("worker1")
        topo.kill(lock["holder"])

    at(55, f"enqueue 30 sweep tasks, kill -9 worker 1 and {lock['holder']} (holds the lock)",
       kill_worker_and_scheduler)  # fmt: skip
    at(56, "the lock is now held by", lambda: f" {wait_for_other_scheduler(lock['holder'])}")
    at(65, f"restart worker 1 and {lock['holder']}",
       lambda: topo.start_worker(1) or topo.start_scheduler(int(lock["holder"][-1])))  # fmt: skip
    at(90, "stop the load", stop.set)
    for thread in threads:
        thread.join(180)
    unanswered = {e["id"] for e in tally.retry if e["id"] not in tally.applied_ids}
    for _round in range(5):  # what failed (in flight on the killed node) is sent again
        again, tally.retry = tally.retry, []
        for i in range(0, len(again), 100):
            tally.record(
                again[i : i + 100],
                *rel.post_events(Site.base, again[i : i + 100], secret),
                retry_failures=True,
            )
        if not tally.retry:
            break
    caught_up = topo.wait_caught_up()
    applied_unanswered(tally, unanswered)

    print(f"    events: {dict(tally.totals())}; HTTP {dict(tally.http)}")
    failed_in_flight, beyond = failures([tally.timeline, timeline, writes], kills)
    rel.check(not beyond, f"no failed request beyond those in flight on the killed node "
              f"({failed_in_flight} in flight; others: {beyond[:10]})")  # fmt: skip
    rel.browse_report(stats)
    rel.reconcile(tally, str(topo.STATE / "media"), before=before)
    attempted = {e for e in tally.attempted_ids if "-X" not in e}  # the invalid ones are rejected
    from platform_api.models import PlatformEvent

    stored = PlatformEvent.objects.filter(event_id__in=attempted).count()
    rel.check(
        stored == len(attempted),
        f"every valid event sent is stored once: {stored} of {len(attempted)}",
    )
    rel.check(outcomes["writes seen at once"] > 0 and not outcomes["WRITE NOT SEEN"],
              f"merchants' writes: {dict(outcomes)}")  # fmt: skip
    for _ in range(120):  # the scheduler requeues what the killed worker left RUNNING
        done = list(DBTaskResult.objects.filter(id__in=tasks))
        if all(r.status == "SUCCESSFUL" for r in done):
            break
        time.sleep(1)
    runs = Counter(
        (r.status, "rerun after worker 1 died" if len(r.worker_ids) > 1 else "one worker")
        for r in done
    )
    rerun_ok = all(
        r.worker_ids[0].startswith("wc-worker-1-") for r in done if len(r.worker_ids) > 1
    )
    rel.check(
        all(r.status == "SUCCESSFUL" for r in done) and len(done) == len(tasks) and rerun_ok,
        f"each of {len(tasks)} tasks succeeded, none lost to the killed worker: {dict(runs)}",
    )
    holder = topo.scheduler_lock_holder()
    rel.check(
        holder not in (None, lock["holder"]), f"the other scheduler took over the lock: {holder}"
    )
    counts = (
        "SELECT (SELECT count(*) FROM platform_api_platformevent),"
        " (SELECT count(*) FROM claims_buyerfeedback)"
    )
    primary, replica = (
        topo.psql(topo.PRIMARY[1], counts, topo.DB),
        topo.psql(topo.REPLICA[1], counts, topo.DB),
    )
    rel.check(primary == replica, f"replica caught up in {caught_up:.1f} s with the same rows "
              f"(events|feedback: primary {primary}, replica {replica})")  # fmt: skip
    skipped = sum(
        (topo.STATE / "logs" / f"node{n}.log").read_text().count("skipped, reads go to the primary")
        for n in (1, 2, 3)
    )
    rel.check(skipped > 0, f"the nodes logged the replica skipped ({skipped} times) and back")
    export_streams()
    print(f"    {load()}")
    table_sizes()


def table_sizes() -> None:
    """What the database holds per row, for the capacity model (docs/capacity.md)."""
    sql = (
        "SELECT relname, n_live_tup, pg_total_relation_size(relid) FROM pg_stat_user_tables"
        " ORDER BY 3 DESC LIMIT 10"
    )
    print(f"\n== sizes of the largest tables ({topo.DB}, after ANALYZE)")
    topo.psql(topo.PRIMARY[1], "ANALYZE", topo.DB)
    for line in topo.psql(topo.PRIMARY[1], sql, topo.DB).splitlines():
        name, rows, size = line.split("|")
        per_row = int(size) / max(1, int(rows))
        print(
            f"    {name:<40} {int(rows):>9} rows {int(size) / 2**20:>8.1f} MB {per_row:>7.0f} B/row"
        )
    total = topo.psql(topo.PRIMARY[1], f"SELECT pg_database_size('{topo.DB}')")
    files = sum(f.stat().st_size for f in (topo.STATE / "media").rglob("*") if f.is_file())
    print(f"    database {int(total) / 2**20:.1f} MB; files {files / 2**20:.1f} MB")


def export_streams() -> None:
    """The policies CSV through HAProxy and PgBouncer: COPY ... TO STDOUT, sent in chunks."""
    from claims.models import Policy

    merchant = Merchant("X", Site, threading.Event(), defaultdict(list), [], seed=99)
    merchant.login()
    with merchant.opener.open(Site.base + "/policies/export.csv", timeout=120) as response:
        chunked = response.headers.get("Transfer-Encoding") == "chunked"
        body = response.read()
    rows = body.count(b"\n") - 1
    rel.check(
        body.startswith(b"\xef\xbb\xbf") and chunked and rows == Policy.objects.count(),
        f"the policies CSV streams through the pooler (chunked: {chunked}, {rows} rows, "
        f"{len(body)} bytes)",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=90, help="length of the fault run")
    parser.add_argument("--rate", type=float, default=300, help="events/s in the fault run")
    parser.add_argument("--measure", type=float, default=20, help="seconds per measurement")
    parser.add_argument("--only", default="reads,events,faults")
    parser.add_argument("--keep-data", action="store_true", help="do not recreate the database")
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(f"cluster scenario {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{os.cpu_count()} cores, {load()}")  # fmt: skip
    topo.up(3, keep_data=args.keep_data)
    rel.setup_django({**topo.node_env(topo.secrets_file()), "DATABASE_URL": topo.DIRECT_URL})
    os.environ.pop("DATABASE_REPLICA_URL", None)
    if "reads" in only:
        print(
            "\n== 1. merchant pages through HAProxy, 3 nodes x 2 workers, 6 merchants, "
            f"{args.measure:.0f} s each"
        )
        rounds = [("primary only", False), ("split to the replica", True)] * 2  # A B A B
        for label, replica in rounds:
            restart_nodes(3, replica=replica)
            print(f"    {label:<22} {measure_reads(args.measure, 6)}", flush=True)
    if "events" in only:
        print(f"\n== 2. events/s through HAProxy, 4 senders, batches of 200, {args.measure:.0f} s")
        for nodes in (1, 2):
            restart_nodes(nodes)
            figures = measure_events(args.measure, 4, 200, f"E{RUN}n{nodes}-")
            print(f"    {nodes} node(s) x 2 workers: {figures} {load()}", flush=True)
    if "faults" in only:
        restart_nodes(3)
        scenario_faults(args)
    rel.close_db()
    print(f"\n{'all checks passed' if not rel.PROBLEMS else f'{len(rel.PROBLEMS)} checks failed:'}")
    for problem in rel.PROBLEMS:
        print(f"  - {problem}")
    return 1 if rel.PROBLEMS else 0


if __name__ == "__main__":
    sys.exit(main())
