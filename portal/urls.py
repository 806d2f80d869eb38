from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from django.utils.translation import gettext_lazy as _

from portal import views
from portal.forms import AdminLoginForm, LoginForm

admin.site.site_header = _("Warranty+ insurer workbench")
admin.site.site_title = _("Warranty+ admin")
admin.site.index_title = _("30-day quality warranty+ program")
admin.site.login_form = AdminLoginForm  # password guessing is throttled there too

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            post_reset_login=True, success_url=reverse_lazy("enrollment:overview")
        ),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("enrollment/", include("enrollment.urls")),
    path("api/v1/", include("platform_api.urls")),
    path("", include("claims.urls")),
    path("invoices/", include("invoicing.urls")),
    path("exports/", include("exports.urls")),
    path("notifications/", include("notifications.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "portal.errors.bad_request"
handler403 = "portal.errors.permission_denied"
handler404 = "portal.errors.page_not_found"
handler500 = "portal.errors.server_error"
