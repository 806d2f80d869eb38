"""Start the floor (bench/floor) under gunicorn, as bench/pages.py starts the portal.

Production-like: DEBUG off, a random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, persistent
connections (conn_max_age=600, as the portal in pages.py), the same gunicorn command.
"""

import os
import secrets
import subprocess
from pathlib import Path

FLOOR = Path(__file__).resolve().parent
ROOT = FLOOR.parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/warranty_floor"
PATH = "/items/?owner=1"  # 25 of owner 1's 400,000 rows, newest first
CHECK = b'rel="next"'  # a full page of 25 rows has an "Older" link


def floor_env(database_url: str = DEFAULT_URL) -> dict:
    return {
        "DJANGO_SETTINGS_MODULE": "floorsite.settings",
        "PYTHONPATH": str(FLOOR),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"{database_url}?conn_max_age=600",
        "LOG_LEVEL": "WARNING",
    }


def start_floor(port: int, workers: int, log: Path, database_url: str = DEFAULT_URL):
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "floorsite.wsgi",
        "-w",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "300",
    ]
    with log.open("wb") as out:
        return subprocess.Popen(
            command,
            cwd=FLOOR,
            env={**os.environ, **floor_env(database_url)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
