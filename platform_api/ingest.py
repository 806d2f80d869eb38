"""R82/R83: apply a batch of platform events (the API's entry point).

An event is applied, or reported as a duplicate (its id was applied before), or rejected
with a clear error; a rejected event leaves nothing behind (its evidence files included)
and never blocks the events after it. How a batch is planned and applied, set-based where
its events allow: `platform_api.batch`; what one event does: `platform_api.handlers`.
"""

from platform_api.batch import APPLIED, DUPLICATE, REJECTED, Result, apply_events
from platform_api.handlers import HANDLERS

__all__ = ["APPLIED", "DUPLICATE", "HANDLERS", "REJECTED", "Result", "apply_events"]
