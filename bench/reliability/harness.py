"""The reliability run's harness: checks, the database and Django, gunicorn as a process group."""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from bench.common import free_port, production_env, start_gunicorn, wait_ready

SHOP_ID = "TM-REL-1"
PASSWORD = "reliability-merchant-2026"
PROBLEMS: list[str] = []  # every failed check, printed again at the end


def check(ok: bool, what: str) -> bool:
    print(f"    [{'ok' if ok else 'FAIL'}] {what}")
    if not ok:
        PROBLEMS.append(what)
    return ok


def summary() -> int:
    """The failed checks again; the exit code (1 when one failed)."""
    print(f"\n{'all checks passed' if not PROBLEMS else f'{len(PROBLEMS)} checks failed:'}")
    for problem in PROBLEMS:
        print(f"  - {problem}")
    return 1 if PROBLEMS else 0


def pct(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


# --- database, Django ---


def reliability_env(database_url: str, media_root: str, health_checks: bool) -> dict:
    """Production mode (README "Production"), its DATABASE_URL with conn_max_age=600 and, if
    asked, conn_health_checks."""
    env = production_env(database_url, media_root)
    if health_checks:
        env["DATABASE_URL"] += "&conn_health_checks=True"
    return env


def setup_django(env: dict) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    import django

    django.setup()


def close_db() -> None:
    from django.db import connections

    connections.close_all()


def enroll_shop() -> None:
    """Migrate, enroll the shop 60 days ago (its past orders are insured), set a password."""
    from bench.common import enroll_bench_shop

    merchant = enroll_bench_shop(
        platform_shop_id=SHOP_ID,
        shop_name="可靠性测试电器店",
        contact_email="reliability@shop.example",
        underwriter="rel-underwriter",
    )
    merchant.set_password(PASSWORD)
    merchant.save()


# --- gunicorn ---


class Portal:
    """gunicorn in its own process group, so that SIGKILL reaches the master and workers."""

    def __init__(self, env: dict, workers: int, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env, self.workers, self.log, self.proc = env, workers, log, None

    def start(self) -> float:
        started = time.monotonic()
        self.proc = start_gunicorn(
            self.env,
            self.port,
            self.workers,
            self.log,
            timeout=120,
            mode="ab",
            start_new_session=True,
        )
        self.wait_ready()
        return time.monotonic() - started

    def wait_ready(self, timeout=60.0) -> None:
        wait_ready(self.base, self.proc, timeout, log=self.log)

    def group_alive(self) -> bool:
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill9(self) -> int:
        """SIGKILL the master and every worker at once; how many processes were there."""
        children = subprocess.run(
            ["pgrep", "-g", str(self.proc.pid)], capture_output=True, text=True
        ).stdout.split()
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        for _ in range(50):
            if not self.group_alive():
                break
            time.sleep(0.1)
        return len(children)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            with contextlib.suppress(ProcessLookupError, AttributeError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # orphaned workers, if any
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
