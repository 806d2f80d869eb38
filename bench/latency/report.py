"""bench/pages.py's tables: each page's latency beside the floor, its SQL queries, and
whether it met issue 6's targets."""

import os
import statistics

from bench.latency.measure import loadavg, percentile
from bench.latency.targets import FLOOR_NAME, Page

TARGET_P95_MS = 100.0
TARGET_RATIO = 5.0
TARGET_QUERIES = 15


def verdict(page: Page, pages: list[Page], p95: float, ratio: float, queries: int) -> str:
    """ "met", or which targets the page missed (the first page, the floor, has none)."""
    missed = []
    if page is not pages[0]:
        if p95 >= TARGET_P95_MS:
            missed.append("p95")
        if ratio > TARGET_RATIO:
            missed.append("ratio")
        if queries > TARGET_QUERIES:
            missed.append("queries")
    return "MISSED: " + ", ".join(missed) if missed else "met"


def report_interleaved(pages: list[Page], per_round: list[dict], loads: list[float], queries):
    """Medians over the rounds of each page's p50, p95 and their ratios to the floor's p50
    of the same round."""
    floor_p50 = [statistics.median(r[FLOOR_NAME]) for r in per_round]
    floor_p95 = [percentile(r[FLOOR_NAME], 0.95) for r in per_round]
    print(
        f"{'page':<34} {'p50 ms':>8} {'p95 ms':>8} {'p50/fl':>7} {'p95/fl':>7} {'queries':>8}  "
        f"{'in-proc ms':>10}  targets (p95<{TARGET_P95_MS:.0f} ms, p95 <={TARGET_RATIO:.0f}x "
        f"floor p50, <={TARGET_QUERIES} queries)"
    )
    floor_r95 = statistics.median(b / a for a, b in zip(floor_p50, floor_p95, strict=True))
    print(
        f"{FLOOR_NAME:<34} {statistics.median(floor_p50):8.1f} "
        f"{statistics.median(floor_p95):8.1f} {1.0:7.1f} {floor_r95:7.1f} "
        f"{'1':>8}  {'(build.py)':>10}"
    )
    for page in pages:
        p50s = [statistics.median(r[page.name]) for r in per_round]
        p95s = [percentile(r[page.name], 0.95) for r in per_round]
        r50 = statistics.median(a / f for a, f in zip(p50s, floor_p50, strict=True))
        r95 = statistics.median(a / f for a, f in zip(p95s, floor_p50, strict=True))
        p95 = statistics.median(p95s)
        n, ms, _q = queries[page.name]
        print(
            f"{page.name:<34} {statistics.median(p50s):8.1f} {p95:8.1f} {r50:7.1f} {r95:7.1f} "
            f"{n:8d}  {ms:10.1f}  {verdict(page, pages, p95, r95, n)}"
        )
    print(
        f"medians of {len(per_round)} rounds; ratios = page / floor p50 of the same round. "
        "Floor p50 by round: "
        + ", ".join(f"{v:.1f}" for v in floor_p50)
        + " ms; p95: "
        + ", ".join(f"{v:.1f}" for v in floor_p95)
        + " ms"
    )
    print(
        f"load average (1 min) during the run: min {min(loads):.2f}, median "
        f"{statistics.median(loads):.2f}, max {max(loads):.2f} on {os.cpu_count()} cores "
        f"(/proc/loadavg at the end: {loadavg()})"
    )


def report_sequential(pages: list[Page], results: dict, queries, load_before, floor_again):
    """Without --floor: each page once, ratios of p95 to /healthz's p95 (issue 6)."""
    floor = percentile(results[pages[0].name], 0.95)
    print(
        f"load average (1 min) before the pages {load_before:.2f}, after {os.getloadavg()[0]:.2f} "
        "(above ~0.5 other work shared the 2 cores: figures are pessimistic)"
    )
    print()
    print(
        f"{'page':<34} {'p50 ms':>8} {'p95 ms':>8} {'x floor':>8} {'queries':>8}  "
        f"{'in-proc ms':>10}  targets (p95<{TARGET_P95_MS:.0f} ms, <={TARGET_RATIO:.0f}x "
        f"floor, <={TARGET_QUERIES} queries)"
    )
    for page in pages:
        samples = results[page.name]
        p50, p95 = statistics.median(samples), percentile(samples, 0.95)
        n, ms, _q = queries[page.name]
        ratio = p95 / floor
        met = verdict(page, pages, p95, ratio, n)
        print(f"{page.name:<34} {p50:8.1f} {p95:8.1f} {ratio:8.1f} {n:8d}  {ms:10.1f}  {met}")
    print(
        f"floor again at the end: p50 {statistics.median(floor_again):.1f} ms, "
        f"p95 {percentile(floor_again, 0.95):.1f} ms"
    )
