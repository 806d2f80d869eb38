from django.utils.functional import SimpleLazyObject

from notifications import selectors
from portal.auth import session_figures


def unread(request):
    """The navigation's unread count: read with the session's user and shop (a scalar
    subquery of that statement, notifications.apps), else asked of the database only when a
    merchant page renders its navigation (one COUNT over a partial index)."""
    shop = getattr(request, "shop", None)
    if shop is None:
        return {"unread_notifications": 0}
    figures = session_figures(shop)
    if "unread_notifications" in figures:
        return {"unread_notifications": figures["unread_notifications"]}
    return {
        "unread_notifications": SimpleLazyObject(lambda: selectors.unread_count(shop_id=shop.pk))
    }
