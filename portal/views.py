from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect


def home(request):
    """Merchants land on their shop's pages, staff on the admin, others on the login page.

    A merchant is a user with a merchant binding (the `merchant` one-to-one the enrollment
    app gives the user, which portal.auth reads with the session's user); what a merchant
    may see is decided by `enrollment.scoping`, not here."""
    if not request.user.is_authenticated:
        return redirect("login")
    if getattr(request.user, "merchant", None) is not None:
        return redirect("claims:dashboard")
    if request.user.is_staff:
        return redirect("admin:index")
    return redirect("enrollment:overview")  # shows the "not a merchant account" page


def healthz(request):
    """Liveness and database check for load balancers and the production run."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok"})
