"""The audit trail of every state change (R40), on top of django-fsm-log's StateLog.

Transitions write their own rows (actor, time, source, target, reason) through the
`fsm_log_by` / `fsm_log_description` decorators. The creation of a record in its first
state is not a transition, so services record it here, in the same transaction.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet
from django.utils import timezone
from django_fsm_log.models import StateLog

SYSTEM = None  # StateLog.by for decisions made by the system (the reason names the rule)


def log_created(obj: Model, *, by, state: str, transition: str, description: str = "") -> StateLog:
    return StateLog.objects.create(
        timestamp=timezone.now(),
        by=by,
        source_state=None,
        state=state,
        transition=transition,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        description=description,
    )


def timeline(obj: Model) -> QuerySet[StateLog]:
    """Every transition of `obj`, oldest first."""
    return (
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        )
        .select_related("by", "by__merchant", "content_type")
        .order_by("timestamp", "id")
    )
