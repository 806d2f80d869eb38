"""Timed requests: each page from several clients at once, optionally interleaved with the
floor (bench/floor), and full downloads of the CSV export while sampling the workers' RSS."""

import contextlib
import statistics
import threading
import time
from pathlib import Path

from bench.common import cpu_busy, cpu_times
from bench.floor.serve import CHECK as FLOOR_CHECK
from bench.floor.serve import PATH as FLOOR_PATH
from bench.latency.client import Session
from bench.latency.server import proc_kb, worker_pids
from bench.latency.targets import CSV_PATH, FLOOR_NAME, Page


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def measure(page: Page, sessions: list[Session], requests: int) -> list[float]:
    """`requests` timed requests from len(sessions) threads at once (after one warm-up each)."""
    per_client = max(1, requests // len(sessions))
    samples: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(sessions))

    def client(index: int, session: Session):
        try:
            warm = session.request("GET", page.paths[index % len(page.paths)])
            if warm.status != 200 or page.check not in warm.body:
                failures.append(f"{page.paths[0]}: {warm.status} {warm.body[:200]!r}")
                return
        finally:
            barrier.wait()
        mine = []
        for n in range(per_client):
            path = page.paths[(index * per_client + n) % len(page.paths)]
            response = session.request("GET", path)
            if response.status != 200:
                failures.append(f"{path}: {response.status}")
                return
            mine.append(response.seconds * 1000)
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client, args=(i, s)) for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{page.name}: {failures[0]}")
    return samples


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def measure_interleaved(
    pages: list[Page], sessions: dict, requests: int, rounds: int
) -> tuple[list[dict], list[float]]:
    """Round-robin, `rounds` times: floor, page A, floor, page B, ... (same clients, requests).

    Returns each round's samples by name (the floor's pooled over the round) and the 1-minute
    load average read from /proc/loadavg after every block."""
    floor = Page(FLOOR_NAME, "floor", [FLOOR_PATH], FLOOR_CHECK)
    per_round, loads = [], [float(loadavg().split()[0])]
    for number in range(1, rounds + 1):
        samples = {FLOOR_NAME: []}
        for page in pages:
            before = cpu_times()
            floor_block = measure(floor, sessions["floor"], requests)
            samples[FLOOR_NAME].extend(floor_block)
            samples[page.name] = measure(page, sessions[page.who], requests)
            loads.append(float(loadavg().split()[0]))
            floor_p50 = statistics.median(floor_block)
            p50 = statistics.median(samples[page.name])
            print(
                f"  round {number} {page.name:<34} p50 {p50:7.1f} ms  "
                f"p95 {percentile(samples[page.name], 0.95):7.1f} ms  floor before it p50 "
                f"{floor_p50:5.1f} ms ({p50 / floor_p50:5.1f}x){cpu_busy(before, cpu_times())}",
                flush=True,
            )
        per_round.append(samples)
    return per_round, loads


def csv_download(session: Session, master: int) -> dict:
    """One full download of the big shop's policies, sampling the workers' RSS meanwhile."""
    pids = worker_pids(master)
    before = {pid: proc_kb(pid, "VmRSS") for pid in pids}
    peak = dict(before)
    done = threading.Event()

    def sample():
        while not done.is_set():
            for pid in pids:
                with contextlib.suppress(OSError, KeyError):  # a worker restarted
                    peak[pid] = max(peak[pid], proc_kb(pid, "VmRSS"))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        response = session.request("GET", CSV_PATH, keep_body=False)
    finally:
        done.set()
        sampler.join()
    if response.status != 200:
        raise RuntimeError(f"CSV export: {response.status}")
    growth = max(peak[pid] - before[pid] for pid in pids)
    return {
        "ttfb_ms": response.ttfb * 1000,
        "seconds": response.seconds,
        "mb": response.size / 1e6,
        "growth_mb": growth / 1024,
        "rss_before_mb": {pid: kb / 1024 for pid, kb in before.items()},
        "rss_peak_mb": {pid: kb / 1024 for pid, kb in peak.items()},
    }
