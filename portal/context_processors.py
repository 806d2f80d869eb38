def merchant(request):
    """The merchant's shop for the page shell (set by enrollment.scoping.merchant_required)."""
    return {"shop": getattr(request, "shop", None)}
