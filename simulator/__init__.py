"""The marketplace, simulated, talking to the portal through the real signed event API
(R80-R87). It plays the platform, so it stands on top of the domain apps, beside the API.

- `simulator.market`: the market model (`Marketplace`: orders, refund requests and the
  buyers' follow-ups as platform events, deterministic from a seed).
- `simulator.transports`: signing and sending, over HTTP or in-process.
- `simulator.report`: what the API answered and what the portal holds.
- `simulator.run`: `simulate()` / `play()`, both waves through a transport.

Used by `manage.py simulate`, the demo seed and the benchmarks; the names below are its
public face.
"""

from simulator.market import Marketplace, image_evidence
from simulator.report import Report
from simulator.run import play, simulate
from simulator.transports import HttpTransport, InProcessTransport, SimulationError, Transport

__all__ = [
    "HttpTransport",
    "InProcessTransport",
    "Marketplace",
    "Report",
    "SimulationError",
    "Transport",
    "image_evidence",
    "play",
    "simulate",
]
