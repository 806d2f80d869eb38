"""The two PostgreSQL clusters of the issue-14 topology: Debian's pg_createcluster, the
replica made by pg_basebackup -R with a replication slot. The shared cluster on 5432 is
never touched."""

import subprocess
import time
from pathlib import Path

PG_VERSION = "15"
PRIMARY, REPLICA = ("wc_primary", 5440), ("wc_replica", 5441)
DB = "warranty_cluster"
SLOT = "wc_replica"
DIRECT_URL = f"postgresql://postgres@127.0.0.1:{PRIMARY[1]}/{DB}"
PG_CONF = """listen_addresses = '127.0.0.1'
max_connections = 80
shared_buffers = 64MB
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
hot_standby = on
hot_standby_feedback = on
"""
HBA = """local all all trust
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
"""


def run(*command, check=True, **kwargs):
    done = subprocess.run(command, text=True, capture_output=True, **kwargs)
    if check and done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return done


def say(text):
    print(text, flush=True)


def cluster_exists(name) -> bool:
    return Path(f"/etc/postgresql/{PG_VERSION}/{name}/postgresql.conf").exists()


def data_dir(name) -> Path:
    return Path(f"/var/lib/postgresql/{PG_VERSION}/{name}")


def pg_ctl(name, action, check=True):
    return run("pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, name, action, check=check)


def pg_running(name) -> bool:
    return run("pg_ctlcluster", PG_VERSION, name, "status", check=False).returncode == 0


def configure(name, extra=""):
    conf = Path(f"/etc/postgresql/{PG_VERSION}/{name}")
    (conf / "conf.d").mkdir(exist_ok=True)
    (conf / "conf.d" / "cluster.conf").write_text(PG_CONF + extra)
    (conf / "pg_hba.conf").write_text(HBA)


def ensure_primary():
    name, port = PRIMARY
    if not cluster_exists(name):
        say(f"creating PostgreSQL cluster {name} on {port}")
        run("pg_createcluster", PG_VERSION, name, "-p", str(port))
        configure(name)
    if not pg_running(name):
        pg_ctl(name, "start")


def ensure_replica():
    name, port = REPLICA
    if not cluster_exists(name):
        say(f"creating the streaming replica {name} on {port} (pg_basebackup from {PRIMARY[1]})")
        run("pg_createcluster", PG_VERSION, name, "-p", str(port))
        configure(name)
        psql(
            PRIMARY[1],
            f"SELECT pg_drop_replication_slot('{SLOT}') FROM pg_replication_slots"
            f" WHERE slot_name = '{SLOT}'",
        )
        target = data_dir(name)
        run("find", str(target), "-mindepth", "1", "-delete")  # its parent belongs to root
        basebackup = f"/usr/lib/postgresql/{PG_VERSION}/bin/pg_basebackup"
        run("runuser", "-u", "postgres", "--", basebackup, "-h", "127.0.0.1",
            "-p", str(PRIMARY[1]), "-U", "postgres", "-D", str(target),
            "-R", "-X", "stream", "-C", "-S", SLOT)  # fmt: skip
    if not pg_running(name):
        pg_ctl(name, "start")


def psql(port, sql, db="postgres") -> str:
    return run("psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", db,
               "-Atc", sql).stdout.strip()  # fmt: skip


def replication_state() -> dict:
    """The primary's write position, the replica's replay position and the byte gap."""
    primary = psql(PRIMARY[1], "SELECT pg_current_wal_lsn()")
    try:
        replayed = psql(REPLICA[1], "SELECT pg_last_wal_replay_lsn()")
    except SystemExit:
        return {"primary": primary, "replica": None, "behind_bytes": None}
    gap = psql(PRIMARY[1], f"SELECT pg_wal_lsn_diff('{primary}', '{replayed}')")
    return {"primary": primary, "replica": replayed, "behind_bytes": max(0, int(float(gap)))}


def wait_caught_up(timeout=120.0) -> float:
    """Seconds until the replica has replayed what the primary had written when asked."""
    started, target = time.monotonic(), psql(PRIMARY[1], "SELECT pg_current_wal_lsn()")
    while time.monotonic() - started < timeout:
        try:
            if psql(REPLICA[1], f"SELECT pg_last_wal_replay_lsn() >= '{target}'") == "t":
                return time.monotonic() - started
        except SystemExit:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the replica did not catch up in {timeout:.0f} s")
