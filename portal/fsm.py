"""R40: every state change is a guarded django-fsm-2 transition; this runs one."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django_fsm import TransitionNotAllowed, can_proceed


def run_transition(obj, name: str, *, refused: Callable[[], ValidationError], **kwargs) -> None:
    """Run transition `name` of `obj`, or raise `refused()` (a clear ValidationError) when
    the state or a guard does not allow it. The caller saves."""
    method = getattr(obj, name)
    if not can_proceed(method):
        raise refused()
    try:
        method(**kwargs)
    except TransitionNotAllowed:
        raise refused() from None
