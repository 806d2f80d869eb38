from django.urls import path

from invoicing import views

app_name = "invoicing"
urlpatterns = [
    path("", views.records, name="records"),
    path("new/", views.request_new, name="new"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/pdf/", views.invoice_pdf, name="pdf"),
]
