"""The reviewers' SLA page in the admin (R32, issue 11): /admin/claims/claim/sla/."""

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from claims import sla


def sla_view(model_admin, request):
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "title": _("Reviewer service level"),
        "sla": sla.reviewer_sla(),
        "due_soon_hours": int(sla.DUE_SOON.total_seconds() // 3600),
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/claims/claim/sla.html", context)


def sla_urls(model_admin):
    opts = model_admin.model._meta
    return [
        path(
            "sla/",
            model_admin.admin_site.admin_view(lambda request: sla_view(model_admin, request)),
            name=f"{opts.app_label}_{opts.model_name}_sla",
        )
    ]
