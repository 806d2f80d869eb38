"""gunicorn entry of `bench/ingest.py --strategy`: the portal with one way of applying a
chunk of events forced (platform_api.batch), to measure them against each other.

    savepoints  one transaction per chunk, a savepoint per event (no set-based path)
    per-event   one transaction (one commit) per event, as before batching
"""

import os

from portal.wsgi import application  # noqa: F401 - sets Django up first


def _force(name: str) -> None:
    from platform_api import batch  # after Django's set-up

    forced = {
        "savepoints": [batch._savepoint_per_event, batch._transaction_per_event],
        "per-event": [batch._transaction_per_event],
    }[name]
    batch.strategies_for = lambda chunk: forced


if os.environ.get("BENCH_INGEST_STRATEGY"):
    _force(os.environ["BENCH_INGEST_STRATEGY"])
