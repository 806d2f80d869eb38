"""Scenario 3 of bench/cluster/scenario.py, faults: the simulator's events and merchants
browsing and writing through HAProxy while node 1 is killed -9 and restarted, the replica is
stopped and started, worker 1 and the scheduler holding the lock are killed -9."""

import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict

from bench.cluster import topology as topo
from bench.cluster.site import RUN, Merchant, Site, load
from bench.reliability.harness import check
from bench.reliability.ledger import ledger, reconcile
from bench.reliability.traffic import Events, Pace, Sender, Tally, browse_report, post_events


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
    tally, stats, timeline, stop = Tally(), defaultdict(list), [], threading.Event()
    writes, outcomes, events = [], Counter(), Events(seed=14)
    secret = topo.secrets_file()["platform"]
    pace = Pace(args.rate)
    threads = [
        Sender(f"F{RUN}-{i}", Site, secret, events, tally, pace, stop, 100, retry=True)
        for i in range(2)
    ]
    threads += [Merchant(f"B{i}", Site, stop, stats, timeline, seed=i, think=0.3) for i in range(3)]
    threads += [
        Writer(f"W{i}", Site, stop, stats, writes, seed=10 + i, outcomes=outcomes) for i in range(3)
    ]
    before = ledger()
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
                *post_events(Site.base, again[i : i + 100], secret),
                retry_failures=True,
            )
        if not tally.retry:
            break
    caught_up = topo.wait_caught_up()
    applied_unanswered(tally, unanswered)

    print(f"    events: {dict(tally.totals())}; HTTP {dict(tally.http)}")
    failed_in_flight, beyond = failures([tally.timeline, timeline, writes], kills)
    check(not beyond, f"no failed request beyond those in flight on the killed node "
              f"({failed_in_flight} in flight; others: {beyond[:10]})")  # fmt: skip
    browse_report(stats)
    reconcile(tally, str(topo.STATE / "media"), before=before)
    attempted = {e for e in tally.attempted_ids if "-X" not in e}  # the invalid ones are rejected
    from platform_api.models import PlatformEvent

    stored = PlatformEvent.objects.filter(event_id__in=attempted).count()
    check(
        stored == len(attempted),
        f"every valid event sent is stored once: {stored} of {len(attempted)}",
    )
    check(outcomes["writes seen at once"] > 0 and not outcomes["WRITE NOT SEEN"],
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
    check(
        all(r.status == "SUCCESSFUL" for r in done) and len(done) == len(tasks) and rerun_ok,
        f"each of {len(tasks)} tasks succeeded, none lost to the killed worker: {dict(runs)}",
    )
    holder = topo.scheduler_lock_holder()
    check(holder not in (None, lock["holder"]), f"the other scheduler took over the lock: {holder}")
    counts = (
        "SELECT (SELECT count(*) FROM platform_api_platformevent),"
        " (SELECT count(*) FROM claims_buyerfeedback)"
    )
    primary, replica = (
        topo.psql(topo.PRIMARY[1], counts, topo.DB),
        topo.psql(topo.REPLICA[1], counts, topo.DB),
    )
    check(primary == replica, f"replica caught up in {caught_up:.1f} s with the same rows "
              f"(events|feedback: primary {primary}, replica {replica})")  # fmt: skip
    skipped = sum(
        (topo.STATE / "logs" / f"node{n}.log").read_text().count("skipped, reads go to the primary")
        for n in (1, 2, 3)
    )
    check(skipped > 0, f"the nodes logged the replica skipped ({skipped} times) and back")
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
    check(
        body.startswith(b"\xef\xbb\xbf") and chunked and rows == Policy.objects.count(),
        f"the policies CSV streams through the pooler (chunked: {chunked}, {rows} rows, "
        f"{len(body)} bytes)",
    )
