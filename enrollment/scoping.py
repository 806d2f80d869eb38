"""R100: the one place where merchant pages are scoped to the user's shop.

Every merchant view is decorated with `merchant_required`, which sets `request.shop`;
every object a merchant view loads comes through `shop_get_or_404` / `shop_filter`, so
another shop's object is a 404 by construction, never a 403 that confirms it exists.
"""

from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import render

from enrollment.models import Merchant, Shop

_BINDING = get_user_model().merchant.related  # user -> merchant, the reverse one-to-one


def merchant_shop(user) -> Shop | None:
    """The user's shop, or None for a user who is no merchant. A session's user comes with
    their binding and shop already read (portal.auth reads them in the user's query); any
    other user is looked up here."""
    if not user.is_authenticated:
        return None
    try:
        if _BINDING.is_cached(user):
            return user.merchant.shop
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


def shop_read_or_404(request, read, *, pk):
    """`shop_get_or_404` for a read written once (portal.rawsql.JoinedRead) whose `where` is
    ("pk", "shop"): the object only if it is of the request's shop, else a 404 (R100)."""
    if read.where != ("pk", "shop"):
        raise ValueError("a scoped read must compare the object's pk and its shop")
    found = read.get(pk, request.shop.pk)
    if found is None:
        raise Http404
    return found


def private_file_owner_or_404(request, model: type[Model], *, staff_permission: str, pk):
    """R100/R102: a private file's record, for staff holding `staff_permission` or a merchant
    of the record's shop; anyone else, signed in or not, gets a 404."""
    user = request.user
    if user.is_authenticated and user.is_staff and user.has_perm(staff_permission):
        try:
            return model._default_manager.get(pk=pk)
        except model.DoesNotExist:
            raise Http404 from None
    request.shop = merchant_shop(user)
    if request.shop is None:
        raise Http404
    return shop_get_or_404(request, model, pk=pk)


def private_file_response(response):
    """Headers for a private file: never cached by shared caches, never sniffed or run."""
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
