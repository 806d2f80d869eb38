from django.http import JsonResponse
from django.urls import path
from items import views

urlpatterns = [
    path("items/", views.item_list, name="items"),
    # what bench/ingest.py's wait_ready polls (no database)
    path("healthz", lambda request: JsonResponse({"status": "ok"})),
]
