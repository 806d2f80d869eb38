from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect

from portal.merchant import merchant_shop


def home(request):
    """Merchants land on their shop's pages, staff on the admin, others on the login page."""
    if not request.user.is_authenticated:
        return redirect("login")
    if merchant_shop(request.user) is not None:
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
