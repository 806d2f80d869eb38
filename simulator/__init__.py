"""The marketplace, simulated, talking to the portal through the real signed event API
(R80-R87). It plays the platform, so it stands on top of the domain apps, beside the API."""

from simulator.market import (
    HttpTransport,
    InProcessTransport,
    Marketplace,
    Report,
    SimulationError,
    Transport,
    image_evidence,
    play,
    simulate,
)

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
