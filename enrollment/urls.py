from django.urls import path

from enrollment import views

app_name = "enrollment"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("apply/", views.apply, name="apply"),
    path("exit/", views.request_exit, name="request_exit"),
    path("exit/withdraw/", views.withdraw_exit, name="withdraw_exit"),
    path("rate/", views.rate_explained, name="rate"),
    path("periods/<int:pk>/", views.period_detail, name="period_detail"),
]
