"""R40/R41: the one way a state changes, for every app.

A service locks the row (`lock`), then `fire`s each transition on it:

1. the transaction must be open and the row locked by it (two requests at once serialize
   on the row lock; the second sees the first one's state and is refused);
2. the state and the transition's guards must allow it (`refused()` says why, clearly);
3. the actor must hold the transition's permission, as declared on the model's
   `@transition(permission=...)` (the same declaration the admin's buttons use). A
   transition declared `permission=SYSTEM_ONLY` is fired by the system alone (`by=None`:
   the platform's events, the sweep); no person may fire it;
4. the transition runs (guards and field assignments only; django-fsm-log writes the audit
   row: actor, time, source, target, reason), the row is saved, and when the change
   happened at another time than now (a late platform event, a deadline) the audit row is
   dated when it happened;
5. the change is announced (`portal.changes`: the outbox writes its message to the
   marketplace in this same transaction, R112);
6. `after_commit` side effects (e-mails, tasks) run only once the transaction commits.
"""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, TransitionNotAllowed, can_proceed, has_transition_perm

from portal import audit, changes

FORBIDDEN = _("You are not allowed to %(action)s this.")

_LOCKED = "_fsm_row_locked"  # set on an instance whose row this transaction holds


def SYSTEM_ONLY(instance, user) -> bool:  # noqa: N802 - reads as a constant in declarations
    """`@transition(permission=SYSTEM_ONLY)`: no person may fire it; the system does (by=None)."""
    return False


STATE = _("state")


def state_field(initial, *, max_length: int, verbose_name=STATE, **kwargs) -> FSMField:
    """A record's state (R40): choices of `initial`'s TextChoices, starting at `initial`,
    protected so that no code assigns it but a transition."""
    return FSMField(
        verbose_name,
        max_length=max_length,
        choices=type(initial).choices,
        default=initial,
        protected=True,
        **kwargs,
    )


def is_shop_merchant(instance, user) -> bool:
    """`@transition(permission=is_shop_merchant)`: a merchant user of the record's own shop
    fires it, and nobody else (R100): not another shop's merchant, not insurer staff."""
    merchant = getattr(user, "merchant", None)
    return merchant is not None and merchant.shop_id == instance.shop_id


def lock[M: Model](queryset: QuerySet[M], **lookup) -> M:
    """The row, locked until the end of the transaction (SELECT … FOR UPDATE OF the row)."""
    obj = queryset.select_for_update(of=("self",)).get(**lookup)
    return held(obj)


def held[M: Model](obj: M) -> M:
    """Mark a row this transaction holds without a SELECT … FOR UPDATE: one it created
    (no other transaction can see it yet) or one it has just locked by another query."""
    setattr(obj, _LOCKED, True)
    return obj


def fire(
    obj: Model,
    name: str,
    *,
    by,
    refused: Callable[[], ValidationError],
    action: str | None = None,
    after_commit: Callable[[], None] | None = None,
    save: bool = True,
    **kwargs,
) -> None:
    """Run transition `name` of the locked `obj` for actor `by` (None: the system).

    `kwargs` go to the transition method (`at`, `description`, fields). Raises `refused()`
    when the state or a guard does not allow it, and a ValidationError with code
    "forbidden" when `by` may not fire it.
    """
    if not connection.in_atomic_block:
        raise RuntimeError(f"{type(obj).__name__}.{name}: a transition runs inside a transaction")
    if not hasattr(obj, _LOCKED):
        raise RuntimeError(
            f"{type(obj).__name__}.{name}: lock the row first (portal.fsm.lock or held)"
        )
    method = getattr(obj, name)
    if not can_proceed(method):
        raise refused()
    if by is not None and not has_transition_perm(method, by):
        raise ValidationError(
            FORBIDDEN % {"action": action or name.replace("_", " ")}, code="forbidden"
        )
    try:
        method(by=by, **kwargs)
    except TransitionNotAllowed:
        raise refused() from None
    if save:
        obj.save()
    if kwargs.get("at") is not None:
        audit.date_last_transition(obj, kwargs["at"])
    changes.announce_one(
        obj,
        name,
        at=kwargs.get("at") or timezone.now(),
        by=by,
        note=kwargs.get("description") or "",
    )
    if after_commit is not None:
        transaction.on_commit(after_commit)
