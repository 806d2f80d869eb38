from django.http import HttpResponseBadRequest
from django.shortcuts import render
from items.models import Item

PER_PAGE = 25


def item_list(request):
    """25 rows of one owner, newest first, through a template with a base layout."""
    try:
        owner = int(request.GET.get("owner", "1"))
    except ValueError:
        return HttpResponseBadRequest("owner must be a number")
    items = list(Item.objects.filter(owner_id=owner).order_by("-created_at", "-id")[:PER_PAGE])
    return render(request, "items/list.html", {"owner": owner, "items": items})
