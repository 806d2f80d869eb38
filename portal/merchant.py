"""R100: the one place where merchant pages are scoped to the user's shop.

Every merchant view is decorated with `merchant_required`, which sets `request.shop`;
every object a merchant view loads comes through `shop_get_or_404` / `shop_filter`, so
another shop's object is a 404 by construction, never a 403 that confirms it exists.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import render

from enrollment.models import Merchant, Shop


def merchant_shop(user) -> Shop | None:
    if not user.is_authenticated:
        return None
    try:
        return Merchant.objects.select_related("shop").get(user=user).shop
    except Merchant.DoesNotExist:
        return None


def merchant_required(view):
    """Login required, and the user must be a merchant: sets request.shop."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        shop = merchant_shop(request.user)
        if shop is None:
            return render(request, "portal/not_merchant.html", status=403)
        request.shop = shop
        return view(request, *args, **kwargs)

    return wrapped


def shop_filter(request, queryset: QuerySet | type[Model], *, via: str = "shop") -> QuerySet:
    """`queryset` narrowed to the request's shop; `via` is the lookup path to the Shop."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    return queryset.filter(**{via: request.shop})


def shop_get_or_404(request, queryset: QuerySet | type[Model], *, via: str = "shop", **lookup):
    try:
        return shop_filter(request, queryset, via=via).get(**lookup)
    except (queryset.model if isinstance(queryset, QuerySet) else queryset).DoesNotExist:
        raise Http404 from None
