def merchant(request):
    """The merchant's shop for the page shell (set by portal.merchant.merchant_required)."""
    return {"shop": getattr(request, "shop", None)}
