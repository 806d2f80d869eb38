"""The audit trail of every state change (R40), on top of django-fsm-log's StateLog.

Transitions write their own rows (actor, time, source, target, reason) through the
`fsm_log_by` / `fsm_log_description` decorators. The creation of a record in its first
state is not a transition, so services record it here, in the same transaction. A change
made by the system (the sweep, the platform's events) has no actor (`by` is None) and its
reason names the rule.
"""

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet
from django.utils import timezone
from django_fsm_log.models import StateLog

from portal.rawsql import JoinedRead

# A transition the platform reports late is dated when it happened, not when it arrived.
LATE_AFTER = dt.timedelta(minutes=1)


def log_created(
    obj: Model, *, by, state: str, transition: str, description: str = "", at=None
) -> StateLog:
    return StateLog.objects.create(
        timestamp=at or timezone.now(),
        by=by,
        source_state=None,
        state=state,
        transition=transition,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        description=description,
    )


def date_last_transition(obj: Model, at: dt.datetime) -> None:
    """Give the row django-fsm-log just wrote for `obj` the instant the change happened, when
    that is not now (events from the platform, the demo's past). One UPDATE, only then."""
    if abs(timezone.now() - at) <= LATE_AFTER:
        return
    latest = (
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        )
        .order_by("-id")
        .values("id")[:1]
    )
    StateLog.objects.filter(pk__in=latest).update(timestamp=at)


def timeline(obj: Model) -> QuerySet[StateLog]:
    """Every transition of `obj`, in the order they happened (each dated when it happened)."""
    return (
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        )
        .select_related("by", "by__merchant", "content_type")
        .order_by("id")
    )


# timeline()'s read, written once (issue 10: the ORM compiled its three joins on every claim
# page, 1.8 ms a page)
_TIMELINE = JoinedRead(
    StateLog, "by__merchant", "content_type", where=("content_type", "object_id"), order_by=("id",)
)


def timeline_entries(obj: Model) -> list[StateLog]:
    """`timeline(obj)` as a list, for a page: the same rows, the same related objects."""
    return _TIMELINE.all(ContentType.objects.get_for_model(obj).pk, obj.pk)
