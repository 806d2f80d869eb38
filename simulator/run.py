"""Playing the marketplace through a transport.

`simulate()` sends the first wave (orders and refund requests, in time order), reads each
refund back (`GET /api/v1/refunds/<id>`), sends the follow-ups that the claims' states
allow, and returns a `Report`: what the API answered and what the portal holds. `play()`
does the same with the portal's e-mails captured when in-process.
"""

import sys

from simulator.market import Marketplace
from simulator.report import Report, Tally, holdings_from_api, holdings_from_db
from simulator.transports import InProcessTransport, Transport, read_claims


class Progress:
    """`[#####-----] 120/300 orders` on one line of a stream (stderr); nothing if None."""

    def __init__(self, total: int, stream=None, label="orders", width=30):
        self.total, self.stream, self.label, self.width = total, stream, label, width

    def show(self, done: int) -> None:
        if self.stream is None:
            return
        filled = self.width * done // max(self.total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done}/{self.total} {self.label}")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.write("\n")
            self.stream.flush()


def send_all(transport: Transport, events: list[dict], *, batch: int, tally: Tally, on_batch=None):
    for start in range(0, len(events), batch):
        chunk = events[start : start + batch]
        tally.record(chunk, transport.post_events(chunk))
        tally.requests += 1
        if on_batch:
            on_batch(chunk)


def simulate(transport: Transport, market: Marketplace, *, batch=200, progress=None, source="db"):
    """Play both waves through `transport`; `source` is where the summary is read: the
    database ("db", same process) or the API ("api")."""
    tally = Tally()
    bar = Progress(len(market.orders), progress)
    placed = 0

    def advance(chunk):
        nonlocal placed
        placed += sum(1 for e in chunk if e["type"] == "order.placed")
        bar.show(placed)

    bar.show(0)
    send_all(transport, market.first_wave(), batch=batch, tally=tally, on_batch=advance)
    bar.close()
    views = read_claims(transport, market)
    claims = {rid: view["claim"] for rid, view in views.items() if view["claim"]}
    follow_ups = market.second_wave(claims)
    send_all(transport, follow_ups, batch=batch, tally=tally)
    holdings = holdings_from_db(market) if source == "db" else holdings_from_api(transport, market)
    return Report(market.prefix, transport.label, tally, holdings)


def play(transport, market, *, batch=200, progress=sys.stderr, source="db") -> Report:
    """`simulate` with the portal's e-mails captured when in-process (no console spam)."""
    if not isinstance(transport, InProcessTransport):
        return simulate(transport, market, batch=batch, progress=progress, source=source)
    from django.core import mail
    from django.test.utils import override_settings

    locmem = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    with override_settings(MAILERS=locmem):
        before = len(getattr(mail, "outbox", []))
        report = simulate(transport, market, batch=batch, progress=progress, source=source)
        report.mails = len(getattr(mail, "outbox", [])) - before
    return report
