from django import template
from django.utils.translation import gettext as _

from portal import formats
from portal.money import percent as _percent

register = template.Library()

# The one money and time format of pages and e-mails (portal/formats.py, issue 11).
register.filter("money", formats.format_money)
register.filter("local_date", formats.format_date)
register.filter("local_datetime", formats.format_datetime)
register.filter("local_month", formats.format_month)


@register.filter
def percent(value):
    """0.0150 -> 1.50%"""
    return "" if value in (None, "") else _percent(value)


@register.filter
def actor_role(user):
    """R43: timelines name the actor's role, not the insurer employee."""
    if user is None:
        return _("System")
    if hasattr(user, "merchant"):
        return _("Merchant")
    return _("Insurer")


@register.filter
def get(mapping, key):
    """{{ counts|get:key }}: a dict lookup in templates."""
    return mapping.get(key) if hasattr(mapping, "get") else None
