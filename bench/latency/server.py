"""The portal as bench/pages.py serves it: production mode with static files collected into a
temporary STATIC_ROOT (bench/bench_settings.py), and its workers' memory read from /proc."""

import os
import subprocess
import sys
from pathlib import Path

from bench.common import ROOT, production_env

BENCH = ROOT / "bench"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/3"  # production's CACHE_URL, its own database


def bench_env(
    database_url: str, media_root: str, static_root: str, cache_url: str = DEFAULT_CACHE_URL
) -> dict:
    """Production mode (README "Production"), plain HTTP so that the client can sign in, and
    the manifest storage of the static files (production's); the shared cache of production
    (Redis: sessions, login throttling) unless cache_url is empty (then each worker's local
    memory, and sessions in the database only)."""
    env = production_env(database_url, media_root)
    del env["STATIC_MANIFEST"]
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{BENCH}",
        "BENCH_STATIC_ROOT": static_root,
        # The big shop's CSV is streamed by the web worker here (its memory is measured);
        # bench/export.py measures the background path that the default threshold takes.
        "CSV_EXPORT_BACKGROUND_ROWS": str(10**9),
        "CACHE_URL": cache_url or "locmemcache://",
    }


def collectstatic(env: dict) -> None:
    subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )


def setup_django(env: dict) -> None:
    """Django in this process with the same settings (bench_settings, from bench/)."""
    os.environ.update(env)
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import django

    django.setup()


def worker_pids(master: int) -> list[int]:
    path = Path(f"/proc/{master}/task/{master}/children")
    return [int(p) for p in path.read_text().split()]


def proc_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)
