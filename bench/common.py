"""What the benchmark scripts share: databases to drop and copy, the portal in production mode
under gunicorn, the CPU figures printed beside a rate, and an enrolled shop to send events for.

Every script puts the project root on `sys.path` first and imports this as `bench.common`.
"""

import datetime as dt
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# --- databases (PostgreSQL, through the maintenance database `postgres`) ---


def admin_url(database_url: str, name: str = "postgres") -> str:
    """The URL of database `name` on the same server (by default the maintenance database)."""
    url = urllib.parse.urlsplit(database_url)
    return urllib.parse.urlunsplit(("postgresql", url.netloc, f"/{name}", "", ""))


def db_name(database_url: str) -> str:
    return urllib.parse.urlsplit(database_url).path.lstrip("/")


def sibling_url(database_url: str, name: str) -> str:
    """The postgres:// URL of database `name` on the same server."""
    url = urllib.parse.urlsplit(database_url)
    return urllib.parse.urlunsplit(("postgres", url.netloc, f"/{name}", "", ""))


def recreate_database(database_url: str, *, template: str | None = None) -> None:
    """Drop the database (whoever is connected) and create it, empty or as a copy of
    `template` (which must have no other session then)."""
    import psycopg

    name = db_name(database_url)
    with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"{_file_copy(conn)}' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')


def _file_copy(conn) -> str:
    """` STRATEGY FILE_COPY` where PostgreSQL has it (15+). Its default there, WAL_LOG, writes
    the whole copy (1.5 GB of dataset) through the WAL: checkpoints and write-back then ran
    during the timed sweep that followed, and the same code measured 2,900-4,600 items/s
    from one set to the next. FILE_COPY copies the files and syncs them before it returns."""
    return " STRATEGY FILE_COPY" if conn.info.server_version >= 150000 else ""


def copy_database(database_url: str, suffix: str, *, attempts: int = 1) -> str:
    """A fresh copy `<name>_<suffix>` of the database on the same server; its postgres:// URL.
    The source may have no other session while it is copied: with `attempts` > 1, retry
    every 3 s (another bench may be reading it)."""
    import psycopg

    name = db_name(database_url)
    copy = f"{name}_{suffix}"
    with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        for attempt in range(attempts):
            try:
                conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"{_file_copy(conn)}')
                break
            except psycopg.errors.ObjectInUse:
                if attempt == attempts - 1:
                    raise
                print(f"  {name} is in use by another session; retrying in 3 s")
                time.sleep(3)
    return sibling_url(database_url, copy)


def drop_database(database_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name(database_url)}" WITH (FORCE)')


# --- the portal in production mode under gunicorn ---


def production_env(
    database_url: str, media_root: str, *, secret_key: str = "", platform_secret: str = ""
) -> dict:
    """Production mode as in README "Production", on plain HTTP over loopback (no HTTPS
    redirect, cookies a plain-HTTP client sends back); e-mail tasks are only enqueued.
    The secrets are random unless given."""
    return {
        "DEBUG": "false",
        "SECRET_KEY": secret_key or secrets.token_urlsafe(64),
        "PLATFORM_WEBHOOK_SECRET": platform_secret or secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "STATIC_MANIFEST": "false",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DATABASE_URL": f"{database_url}?conn_max_age=600",
        "MEDIA_ROOT": media_root,
        "LOG_LEVEL": "WARNING",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    env: dict,
    port: int,
    workers: int,
    log: Path,
    *,
    app: str = "portal.wsgi",
    cwd: Path = ROOT,
    timeout: int = 300,
    mode: str = "wb",
    **popen,
) -> subprocess.Popen:
    """`gunicorn app -w workers` on 127.0.0.1:port with `env` over this process's, its
    output to `log` (the child keeps its own copy of the descriptor)."""
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        app,
        "-w",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        str(timeout),
    ]
    with log.open(mode) as out:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            **popen,
        )


def wait_ready(base_url: str, proc: subprocess.Popen, timeout=30.0, *, log=None) -> None:
    """Until /healthz answers 200; fails at once if gunicorn exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            where = f" (log {log})" if log else ""
            raise RuntimeError(f"gunicorn exited with {proc.returncode}{where}")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the portal did not answer {base_url}/healthz in {timeout:.0f} s")


def stop_gunicorn(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def exit_on_sigterm(signum, frame):
    """A SIGTERM handler that unwinds like Ctrl-C, so that `finally` stops the servers."""
    raise SystemExit(128 + signum)


# --- the machine ---


def cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies of all cores (Linux), to tell a CPU-bound run from a waiting one."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def cpu_busy(before, after, sep: str = ", ") -> str:
    """`sep`CPU n% busy over the cores between two cpu_times(), and the load average (other
    work on the machine shows there too); empty if unknown."""
    if not before or not after or after[1] == before[1]:
        return ""
    busy = 100 * (after[0] - before[0]) / (after[1] - before[1])
    load = os.getloadavg()[0]
    return f"{sep}CPU {busy:.0f}% busy over {os.cpu_count()} cores, load {load:.1f}"


# --- an enrolled shop ---


def enroll_bench_shop(
    *, platform_shop_id: str, shop_name: str, contact_email: str, underwriter: str
):
    """Migrate, then invite, apply and approve the shop 60 days ago (through the services),
    so that orders placed in the recent past are insured (R20). Returns its merchant user."""
    import time_machine
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.utils import timezone

    from enrollment import services
    from enrollment.models import Shop
    from portal.groups import UNDERWRITER

    call_command("migrate", verbosity=0)
    staff = get_user_model().objects.create_user(underwriter, is_staff=True)
    staff.groups.add(Group.objects.get(name=UNDERWRITER))  # approving needs its permission (R101)
    with time_machine.travel(timezone.now() - dt.timedelta(days=60), tick=True):
        services.invitation_create(
            platform_shop_id=platform_shop_id,
            shop_name=shop_name,
            contact_email=contact_email,
            expires_at=timezone.now() + dt.timedelta(days=30),
            actor=staff,
        )
        shop = Shop.objects.get(platform_shop_id=platform_shop_id)
        merchant = shop.merchants.get().user
        enrollment = services.enrollment_apply(
            shop=shop,
            actor=merchant,
            alipay_account="13800138000",
            alipay_name=f"{shop.name}有限公司",  # R114: the payee name on the provider's file
            return_contact="王经理",
            return_phone="0571-88888888",
            return_address="杭州市余杭区文一西路 1 号",
            accept_terms=True,
        )
        services.enrollment_approve(enrollment_id=enrollment.pk, actor=staff)
    return merchant


# --- the marketplace's events (platform_api.events builds the wire format) ---


def order_events(
    order_id: str,
    *,
    shop_id: str,
    buyer_id: str,
    credit_tier: int,
    placed: dt.datetime,
    requested: dt.datetime,
    paid: str,
    sku: str,
    title: str,
    kind: str,
    reason: str,
    description: str,
    image: tuple[str, bytes],
) -> list[dict]:
    """An order's four events: placed with one line paid `paid`, shipped 3 h later, received
    2 days after it was placed, then a refund request of the whole line with one photo."""
    from platform_api import events

    line_id = f"{order_id}-1"
    line = events.order_line(line_id, sku=sku, title=title, quantity=1, paid_amount=paid)
    return [
        events.order_placed(
            order_id,
            shop_id=shop_id,
            buyer_id=buyer_id,
            credit_tier=credit_tier,
            placed_at=placed,
            lines=[line],
        ),
        events.order_shipped(order_id, shipped_at=placed + dt.timedelta(hours=3)),
        events.order_received(order_id, received_at=placed + dt.timedelta(days=2)),
        events.refund_requested(
            f"{order_id}-R",
            order_id=order_id,
            line_id=line_id,
            kind=kind,
            reason=reason,
            amount=paid,
            description=description,
            images=[image],
            requested_at=requested,
        ),
    ]
