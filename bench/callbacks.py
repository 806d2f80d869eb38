"""Callbacks to the marketplace (R110-R113, issue 12): delivered per second to a local
receiver, and the delay from the decision to its delivery, while the event API is under load.

Recreates a bench database, migrates it, enrolls one shop (as bench/ingest.py), starts a
receiver on 127.0.0.1 (outbox.receiver: checks every signature), the portal under gunicorn
(production mode) and `--workers` delivery workers (`manage.py deliver_callbacks --for …`,
what a db_worker's turn runs), then posts batches of 1,000 events from client threads. The
events write the messages themselves (policies issued and covered, R39 fast-track decisions
and refunds due), set-based, in the transactions of the changes. When every message is
delivered it prints events/s, callbacks/s (while the load ran, and overall), and the delay
from each message's writing (its decision's transaction) to its arrival: median and p99,
for all messages and for `claim.decided` alone.

    flock /tmp/bench.lock .venv/bin/python bench/callbacks.py [--batches 8] [--workers 2]
        [--database-url postgres://postgres@127.0.0.1:5432/warranty_bench_callbacks]
"""

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common, ingest  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=8, help="batches of 1,000 events")
    parser.add_argument("--threads", type=int, default=2, help="event API client threads")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="delivery workers")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/warranty_bench_callbacks"
    )
    return parser.parse_args()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def start_workers(env: dict, count: int, log: Path) -> list[subprocess.Popen]:
    command = [str(ROOT / ".venv/bin/python"), "manage.py", "deliver_callbacks", "--for", "3600"]
    with log.open("wb") as out:
        return [
            subprocess.Popen(
                command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
            )
            for _ in range(count)
        ]


def wait_drained(timeout: float = 600) -> int:
    from outbox.models import Message

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = Message.objects.exclude(status="delivered").count()
        if not left:
            return 0
        time.sleep(0.5)
    return left


def main() -> int:
    args = parse_args()
    from outbox.receiver import Receiver

    secret = secrets.token_urlsafe(32)
    receiver = Receiver(secret).start()
    media = tempfile.mkdtemp(prefix="warranty-bench-callbacks-")
    env = {
        **ingest.bench_env(args.database_url, media),
        "PLATFORM_CALLBACK_URL": receiver.url,
        "PLATFORM_CALLBACK_SECRET": secret,
    }
    os.environ.update(env)
    print(f"bench database {args.database_url} (dropped and created); receiver {receiver.url}")
    common.recreate_database(args.database_url)
    ingest.setup_django()
    ingest.migrate_and_enroll()
    workload = ingest.Workload()
    port = common.free_port()
    base_url = f"http://127.0.0.1:{port}"
    proc = common.start_gunicorn(env, port, args.gunicorn_workers, Path(media) / "gunicorn.log")
    workers = start_workers(env, args.workers, Path(media) / "workers.log")
    try:
        common.wait_ready(base_url, proc, timeout=300)  # a busy machine starts slowly
        bodies = ingest.bodies_for_run(workload, 1, args.batches)
        load = os.getloadavg()[0]
        started = time.time()
        seconds, statuses, _errors = ingest.http_run(
            base_url, bodies, args.threads, env["PLATFORM_WEBHOOK_SECRET"]
        )
        load_ended = time.time()
        left = wait_drained()
        drained = time.time()
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait()
        common.stop_gunicorn(proc)
        receiver.stop()
    report(args, receiver, statuses, seconds, started, load_ended, drained, left, load)
    return 0


def report(args, receiver, statuses, seconds, started, load_ended, drained, left, load):
    from outbox.models import Message

    written = {
        str(m): (t, c.timestamp())
        for m, t, c in Message.objects.values_list("message_id", "type", "created_at")
    }
    first_arrival: dict[str, float] = {}
    for r in receiver.delivered():
        first_arrival.setdefault(r.message_id, r.at)
    events = sum(statuses.values())
    during = sum(1 for at in first_arrival.values() if at <= load_ended)
    delays = {
        m: first_arrival[m] - created for m, (_t, created) in written.items() if m in first_arrival
    }
    decided = [d for m, d in delays.items() if written[m][0] == "claim.decided"]
    all_delays = list(delays.values())
    print(
        f"event API: {events} events in {seconds:.2f} s = {events / seconds:.0f} events/s "
        f"({dict(statuses)}), {args.threads} client threads, {args.gunicorn_workers} gunicorn "
        f"workers; {args.workers} delivery workers; load average at start {load:.2f}, "
        f"at the end {os.getloadavg()[0]:.2f}"
    )
    print(
        f"messages written {len(written)}, delivered {len(first_arrival)}, left undelivered "
        f"{left}; requests {len(receiver.received)}, bad signatures "
        f"{sum(1 for r in receiver.received if not r.signed)}, overlaps {len(receiver.overlaps)}"
    )
    print(
        f"callbacks/s while the load ran: {during / (load_ended - started):.0f}; overall "
        f"(first write to last delivery): {len(first_arrival) / (drained - started):.0f}"
    )
    for label, values in [("all messages", all_delays), ("claim.decided", decided)]:
        if values:
            print(
                f"delay from writing to delivery, {label} ({len(values)}): median "
                f"{statistics.median(values) * 1000:.0f} ms, "
                f"p99 {percentile(values, 99) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"
            )
    by_type = {}
    for t, _c in written.values():
        by_type[t] = by_type.get(t, 0) + 1
    print(f"by type: {json.dumps(by_type, sort_keys=True)}")


if __name__ == "__main__":
    sys.exit(main())
