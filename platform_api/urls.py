from django.urls import path

from platform_api import views

app_name = "platform_api"
urlpatterns = [
    path("events", views.events, name="events"),
    path("orders/<str:order_id>", views.order_detail, name="order"),
    path("refunds/<str:refund_id>", views.refund_detail, name="refund"),
    path("openapi.json", views.openapi, name="openapi"),
]
