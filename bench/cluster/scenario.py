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
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.cluster import topology as topo  # noqa: E402
from bench.cluster.faults import scenario_faults  # noqa: E402
from bench.cluster.site import RUN, Merchant, Site, load  # noqa: E402
from bench.common import cpu_busy, cpu_times  # noqa: E402
from bench.reliability.harness import close_db, setup_django, summary  # noqa: E402
from bench.reliability.traffic import Events, Pace, Sender, Tally  # noqa: E402


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
    tally, stop, events = Tally(), threading.Event(), Events()
    pace = Pace(1e9)  # as fast as the portal answers
    threads = [
        Sender(f"{tag}{i}", Site, topo.secrets_file()["platform"], events, tally, pace, stop, batch)
        for i in range(senders)
    ]
    wal0 = topo.psql(topo.PRIMARY[1], "SELECT pg_current_wal_lsn()")
    cpu0, started = cpu_times(), time.monotonic()
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
        "cpu": cpu_busy(cpu0, cpu_times(), sep=""),
    }


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
    setup_django({**topo.node_env(topo.secrets_file()), "DATABASE_URL": topo.DIRECT_URL})
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
    close_db()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
