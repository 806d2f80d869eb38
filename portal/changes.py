"""What changed, told to whoever listens (R112): the transition runner's announcements.

`portal.fsm.fire` announces every transition it runs; the set-based paths (the event API's
bulk appliers, the deadline sweep), which write many transitions in one statement, announce
them in one call too, from the same list of transitions they write the audit rows from; and
the few changes that are not a transition (a policy issued, a breach recorded, an order
received) are announced by the one function that makes them. Listeners run inside the
change's transaction, so whatever they write commits or rolls back with it: the outbox
(`outbox.apps`) registers itself here, so the ground imports no app above it.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Model


@dataclass(frozen=True, slots=True)
class Change:
    """`name` (a transition, or "issue", "record", "receive") happened to a row of `model`
    at `at`. `obj` is the instance, or its primary key when the set-based path never loaded
    the row. `by` is the actor (None: the system)."""

    model: type[Model]
    obj: Model | int
    name: str
    at: dt.datetime
    by: object = None
    note: str = ""  # the reason given (the audit row's description)

    @property
    def pk(self) -> int:
        return self.obj if isinstance(self.obj, int) else self.obj.pk


_listeners: list[Callable[[list[Change]], None]] = []


def listen(listener: Callable[[list[Change]], None]) -> Callable[[list[Change]], None]:
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def announce(changes: Iterable[Change]) -> None:
    """Tell every listener, in the caller's transaction; nothing to do for no change."""
    changes = list(changes)
    if not changes:
        return
    for listener in _listeners:
        listener(changes)


def announce_one(obj: Model, name: str, *, at: dt.datetime, by=None, note: str = "") -> None:
    announce([Change(type(obj), obj, name, at, by, note)])
