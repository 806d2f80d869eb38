"""The issue-14 topology on one machine: what `bench/cluster/up` and `down` run.

    HAProxy 127.0.0.1:8480 ─┬─ gunicorn node 1 127.0.0.1:8401 ─┐
                            ├─ gunicorn node 2 127.0.0.1:8402 ─┼─ PgBouncer 127.0.0.1:6440
                            └─ gunicorn node 3 127.0.0.1:8403 ─┘   (transaction pooling)
    db_worker ×2, scheduler ×2 (one holds the lock)               ├─ primary 5440 (wc_primary)
    Redis 127.0.0.1:6379/8: cache, sessions, login throttling     └─ replica 5441 (wc_replica,
    /tmp/warranty-cluster/media: the shared file storage             streaming, hot standby)

Both PostgreSQL clusters are Debian's (`pg_createcluster`; the replica from `pg_basebackup
-R` with a replication slot), so the shared cluster on 5432 is untouched. Run as root.
Everything this starts records its pid under STATE; `down` stops exactly those.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.cluster.postgres import (  # noqa: E402, F401 (the scenario uses them from here)
    DB,
    DIRECT_URL,
    PG_VERSION,
    PRIMARY,
    REPLICA,
    cluster_exists,
    ensure_primary,
    ensure_replica,
    pg_ctl,
    pg_running,
    psql,
    replication_state,
    run,
    say,
    wait_caught_up,
)
from bench.common import production_env  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
STATE = Path("/tmp/warranty-cluster")
POOLER_PORT, BALANCER_PORT, NODE_PORTS = 6440, 8480, (8401, 8402, 8403)


def fresh_database():
    psql(PRIMARY[1], f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    psql(PRIMARY[1], f'CREATE DATABASE "{DB}"')
    environment = {**os.environ, **node_env(secrets_file()), "DATABASE_URL": DIRECT_URL}
    environment.pop("DATABASE_REPLICA_URL")
    say("migrating and enrolling the benchmark shop")
    run(sys.executable, "manage.py", "migrate", "-v0", cwd=ROOT, env=environment)
    run(sys.executable, str(Path(__file__).with_name("seed.py")), cwd=ROOT, env=environment)


# --- PgBouncer, HAProxy ---


def pgbouncer_ini() -> Path:
    ini = STATE / "pgbouncer.ini"
    (STATE / "userlist.txt").write_text('"postgres" ""\n')
    ini.write_text(f"""[databases]
{DB} = host=127.0.0.1 port={PRIMARY[1]} dbname={DB}
{DB}_replica = host=127.0.0.1 port={REPLICA[1]} dbname={DB}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {POOLER_PORT}
unix_socket_dir =
auth_type = trust
auth_file = {STATE}/userlist.txt
pool_mode = transaction
default_pool_size = 20
max_client_conn = 500
server_login_retry = 1
server_connect_timeout = 2
query_wait_timeout = 30
ignore_startup_parameters = extra_float_digits,options
logfile = {STATE}/logs/pgbouncer.log
pidfile = {STATE}/run/pgbouncer.pid
""")
    return ini


def start_pgbouncer():
    run("runuser", "-u", "postgres", "--", "/usr/sbin/pgbouncer", "-d", str(pgbouncer_ini()))


def haproxy_cfg() -> Path:
    servers = "\n".join(
        f"    server node{i} 127.0.0.1:{port} check inter 1s fall 3 rise 2"
        for i, port in enumerate(NODE_PORTS, 1)
    )
    cfg = STATE / "haproxy.cfg"
    cfg.write_text(f"""global
    maxconn 2000
    pidfile {STATE}/run/haproxy.pid
    stats socket {STATE}/run/haproxy.sock mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    timeout check 5s
    retries 3
    option redispatch
    retry-on conn-failure empty-response

frontend portal
    bind 127.0.0.1:{BALANCER_PORT}
    default_backend nodes

backend nodes
    balance leastconn
    option httpchk
    http-check send meth GET uri /healthz hdr Host 127.0.0.1
{servers}
""")
    return cfg


def balancer_servers() -> dict:
    """HAProxy's view of the nodes, e.g. {"node1": "UP", "node2": "DOWN"}."""
    import socket

    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(STATE / "run/haproxy.sock"))
        sock.sendall(b"show stat\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    rows = [line.split(",") for line in data.decode().splitlines() if line.startswith("nodes,")]
    return {row[1]: row[17].split()[0] for row in rows if row[1].startswith("node")}


def wait_balancer(up: set[str], timeout=120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = balancer_servers()
        if {name for name, status in state.items() if status == "UP"} == up:
            return True
        time.sleep(0.3)
    return False


def start_haproxy():
    run("/usr/sbin/haproxy", "-D", "-f", str(haproxy_cfg()), "-p", str(STATE / "run/haproxy.pid"))


# --- the portal's processes: nodes, workers, schedulers ---


def secrets_file() -> dict:
    path = STATE / "secrets.json"
    if not path.exists():
        values = {"secret_key": secrets.token_urlsafe(64), "platform": secrets.token_urlsafe(32)}
        path.write_text(json.dumps(values))
    return json.loads(path.read_text())


def node_env(keys: dict) -> dict:
    """Production mode (README "Production") on plain HTTP over loopback, through the pooler."""
    pooled = f"postgres://postgres@127.0.0.1:{POOLER_PORT}"
    env = production_env(
        f"{pooled}/{DB}",
        str(STATE / "media"),
        secret_key=keys["secret_key"],
        platform_secret=keys["platform"],
    )
    return {
        **env,
        "DATABASE_URL": f"{pooled}/{DB}?conn_max_age=600&conn_health_checks=True",
        "DATABASE_POOL_MODE": "transaction",
        "DATABASE_REPLICA_URL": f"{pooled}/{DB}_replica?conn_max_age=600&conn_health_checks=True",
        "DATABASE_DIRECT_URL": DIRECT_URL,
        "CACHE_URL": "redis://127.0.0.1:6379/8",
        "EMAIL_URL": "consolemail://",  # e-mails to the worker logs: no MTA here
    }


def spawn(name: str, command: list[str], extra_env: dict | None = None) -> int:
    """Start a process in its own group (SIGKILL reaches its children), log and pid in STATE."""
    environment = {**os.environ, **node_env(secrets_file()), **(extra_env or {})}
    if os.environ.get("CLUSTER_NO_REPLICA"):
        environment.pop("DATABASE_REPLICA_URL")  # the primary-only side of the comparison
    with (STATE / "logs" / f"{name}.log").open("ab") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    (STATE / "run" / f"{name}.pid").write_text(str(proc.pid))
    return proc.pid


def start_node(n: int, workers: int = 2) -> None:
    port = NODE_PORTS[n - 1]
    spawn(f"node{n}", [str(ROOT / ".venv/bin/gunicorn"), "portal.wsgi", "--workers", str(workers),
                       "--bind", f"127.0.0.1:{port}", "--timeout", "120"])  # fmt: skip


def node_ready(n: int, timeout=60.0) -> bool:
    return wait_http(f"http://127.0.0.1:{NODE_PORTS[n - 1]}/healthz", timeout)


def wait_http(url, timeout) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def start_worker(n: int) -> None:
    spawn(f"worker{n}", [sys.executable, "manage.py", "task_worker",
                         "--worker-id", f"wc-worker-{n}",
                         "--interval", "0.5"])  # fmt: skip


def start_scheduler(n: int) -> None:
    spawn(f"scheduler{n}", [sys.executable, "manage.py", "scheduler"])


def scheduler_lock_holder() -> str | None:
    """Which scheduler process holds the advisory lock (by its connection's application_name)."""
    from portal.singleton import SCHEDULER_LOCK

    holder = psql(PRIMARY[1], "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a"
                  f" USING (pid) WHERE l.locktype = 'advisory' AND l.objid = {SCHEDULER_LOCK}"
                  " AND l.granted", DB)  # fmt: skip
    for pidfile in (STATE / "run").glob("scheduler*.pid"):
        if holder == f"scheduler pid {pidfile.read_text().strip()}":
            return pidfile.stem
    return None


def kill(name: str, sig=signal.SIGKILL) -> bool:
    """Signal the process group of a process this module started; True if it was running."""
    pidfile = STATE / "run" / f"{name}.pid"
    if not pidfile.exists():
        return False
    pid = int(pidfile.read_text())
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return False
    if sig in (signal.SIGKILL, signal.SIGTERM):
        for _ in range(100):
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.killpg(pid, signal.SIGKILL)
        pidfile.unlink(missing_ok=True)
    return True


def balancer_url() -> str:
    return f"http://127.0.0.1:{BALANCER_PORT}"


# --- up, down ---


def up(nodes: int = 3, keep_data: bool = False) -> None:
    stop_processes()  # up again: a clean start
    for sub in ("logs", "run", "media"):
        (STATE / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(STATE, 0o755)
    run("chown", "postgres", str(STATE / "logs"), str(STATE / "run"))
    ensure_primary()
    if (
        not keep_data
        or psql(PRIMARY[1], f"SELECT 1 FROM pg_database WHERE datname = '{DB}'") != "1"
    ):
        fresh_database()
    ensure_replica()
    say(f"replica caught up in {wait_caught_up():.1f} s")
    start_pgbouncer()
    for n in range(1, nodes + 1):
        start_node(n)
    for n in (1, 2):
        start_worker(n)
        start_scheduler(n)
    for n in range(1, nodes + 1):
        if not node_ready(n):
            raise SystemExit(f"node {n} did not answer /healthz: see {STATE}/logs/node{n}.log")
    start_haproxy()
    if not wait_http(balancer_url() + "/healthz", 20):
        raise SystemExit("HAProxy did not answer /healthz")
    ports = ", ".join(map(str, NODE_PORTS[:nodes]))
    say(f"up: {balancer_url()} (HAProxy) -> nodes {ports}; PgBouncer {POOLER_PORT}; "
        f"primary {PRIMARY[1]}, replica {REPLICA[1]}; logs {STATE}/logs")  # fmt: skip


def stop_processes() -> None:
    """Everything but the clusters: HAProxy, PgBouncer, nodes, workers, schedulers."""
    for pidfile in sorted((STATE / "run").glob("*.pid")) if (STATE / "run").exists() else []:
        name = pidfile.stem
        if name in ("haproxy", "pgbouncer"):
            try:
                pid = int(pidfile.read_text())
                os.kill(pid, signal.SIGTERM)
                for _ in range(50):  # gone, its port free
                    os.kill(pid, 0)
                    time.sleep(0.1)
            except (ProcessLookupError, ValueError):
                pass
            pidfile.unlink(missing_ok=True)
        else:
            kill(name, signal.SIGTERM)


def down(purge: bool = False) -> None:
    stop_processes()
    for name, _port in (REPLICA, PRIMARY):
        if cluster_exists(name):
            if purge:
                run("pg_dropcluster", "--stop", PG_VERSION, name, check=False)
            elif pg_running(name):
                pg_ctl(name, "stop", check=False)
    if purge:
        run("rm", "-rf", str(STATE))
    say("down" + (" (clusters dropped, state removed)" if purge else " (clusters kept on disk)"))


def main(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up_parser = sub.add_parser("up", help="bring the topology up (a fresh database)")
    up_parser.add_argument("--nodes", type=int, default=3, choices=[1, 2, 3])
    up_parser.add_argument("--keep-data", action="store_true", help="keep the database")
    down_parser = sub.add_parser("down", help="stop everything this started")
    down_parser.add_argument("--purge", action="store_true", help="also drop both clusters")
    sub.add_parser("status", help="replication positions and the processes")
    args = parser.parse_args(argv)
    if args.command == "up":
        up(args.nodes, args.keep_data)
    elif args.command == "down":
        down(args.purge)
    else:
        say(json.dumps(replication_state()))
        for pidfile in sorted((STATE / "run").glob("*.pid")):
            say(f"{pidfile.stem}: pid {pidfile.read_text().strip()}")


if __name__ == "__main__":
    main(sys.argv[1:])
