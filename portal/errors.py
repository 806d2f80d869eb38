"""Branded, translated error pages (issue 11, point 3): 400, 403, 404, 405 and 500.

Django's handlers (`handler400`… in portal.urls) answer with these templates in production
(DEBUG=false) as in tests; a 405 from `require_http_methods` has an empty body, so the
middleware below gives it the page (keeping its Allow header). The event API (/api/) keeps
its own JSON answers: a machine reads those.
"""

from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
TEMPLATES = {400: "400.html", 403: "403.html", 404: "404.html", 405: "405.html", 500: "500.html"}


def render_error(request, status: int, *, context: dict | None = None) -> str:
    """The page of `status` in the request's language (a 500 without the shell's database
    reads: the failure may be the database)."""
    if status == 500:
        return loader.render_to_string(TEMPLATES[500], {"request": request, **(context or {})})
    return loader.render_to_string(TEMPLATES[status], context or {}, request=request)


def _response(request, status: int) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"error": _API_ERRORS[status]}, status=status)
    return HttpResponse(render_error(request, status), status=status)


_API_ERRORS = {400: "bad request", 403: "forbidden", 404: "not found", 500: "server error"}


def bad_request(request, exception=None):
    return _response(request, 400)


def permission_denied(request, exception=None):
    return _response(request, 403)


def page_not_found(request, exception=None):
    return _response(request, 404)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: an expired or missing form token (e.g. a page kept open past a
    sign-out) is a branded 403 that says to reload, not Django's English page."""
    return HttpResponse(render_error(request, 403, context={"csrf_failed": True}), status=403)


def server_error(request):
    try:
        return _response(request, 500)
    except Exception:  # the page of last resort must not fail in turn
        return HttpResponse(_("Server error. Please try again later."), status=500)


class ErrorPagesMiddleware:
    """An empty 405 (require_GET, require_POST…) on a page gets the branded page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 405
            and isinstance(response, HttpResponseNotAllowed)
            and not response.content
            and not request.path.startswith(API_PREFIX)
        ):
            response.content = render_error(request, 405)
            response["Content-Type"] = "text/html; charset=utf-8"
        return response
