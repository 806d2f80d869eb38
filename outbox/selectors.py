"""Reads of the outbox for staff (R101, R113): each group sees the types of its area."""

from django.db.models import QuerySet

from outbox.models import Message, MessageStatus
from outbox.types import FINANCE_TYPES, REVIEWER_TYPES
from portal.groups import CLAIM_REVIEWER, FINANCE

AREAS = {FINANCE: FINANCE_TYPES, CLAIM_REVIEWER: REVIEWER_TYPES}


def messages_for_staff(user) -> QuerySet[Message]:
    """Every message for a superuser; else those of the types of the user's groups."""
    if user.is_superuser:
        return Message.objects.all()
    groups = set(user.groups.values_list("name", flat=True))
    types = [t for group, area in AREAS.items() if group in groups for t in area]
    return Message.objects.filter(type__in=types)


def dead_count(user) -> int:
    """R113: the dead messages the user may see (and resend)."""
    if not user.has_perm("outbox.view_message"):
        return 0
    return messages_for_staff(user).filter(status=MessageStatus.DEAD).count()
