from django import template

from outbox.selectors import dead_count

register = template.Library()


@register.simple_tag(takes_context=True)
def outbox_dead_count(context) -> int:
    """R113: the dead messages the signed-in staff member may see."""
    request = context.get("request")
    return dead_count(request.user) if request is not None else 0
