"""The merchant's notifications (issue 11, point 6), scoped through enrollment.scoping (R100)."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from enrollment.scoping import merchant_required
from notifications import selectors, services
from portal.pagination import keyset_page


@require_GET
@merchant_required
def notification_list(request):
    page = keyset_page(
        selectors.notifications_for_shop(shop=request.shop), request.GET, key="created_at"
    )
    for notification in page.rows:
        notification.text = selectors.notification_text(notification)
    return render(request, "notifications/notification_list.html", {"page": page})


@require_POST
@merchant_required
def notification_read(request, pk: int):
    """Mark one read and go where it points (another shop's id: 404, nothing changes)."""
    notification = selectors.notification_for_shop_or_404(request, pk=pk)
    services.notification_mark_read(shop=request.shop, notification_id=notification.pk)
    if request.POST.get("open"):
        if notification.claim_id:
            return redirect("claims:claim", pk=notification.claim_id)
        if notification.invoice_id:
            return redirect("invoicing:records")
    return redirect("notifications:list")


@require_POST
@merchant_required
def notification_read_all(request):
    services.notifications_mark_all_read(shop=request.shop)
    return redirect("notifications:list")
