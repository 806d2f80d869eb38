"""The reliability scenarios of issue 6 on a real gunicorn + PostgreSQL, loopback only.

`run.py` is the command (bench/reliability/README.md). What it is made of:

- `harness`: the checks and their tally, the database, Django, gunicorn in its own process
  group (so that SIGKILL reaches the master and the workers);
- `traffic`: the marketplace's deterministic events, the senders posting them at a shared
  rate, the merchants browsing through the real login form, and what the API answered;
- `ledger`: the counts and sums a correct run keeps consistent, and their reconciliation
  with what the API answered;
- one module per scenario: `load`, `kill`, `pg`, `sweep`.

bench/cluster/scenario.py reuses the traffic and the ledger on the several-node topology.
"""
