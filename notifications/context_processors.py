from django.utils.functional import SimpleLazyObject

from notifications import selectors


def unread(request):
    """The navigation's unread count: asked of the database only when a merchant page
    renders its navigation (one COUNT over a partial index), never on other pages."""
    shop = getattr(request, "shop", None)
    if shop is None:
        return {"unread_notifications": 0}
    return {
        "unread_notifications": SimpleLazyObject(lambda: selectors.unread_count(shop_id=shop.pk))
    }
