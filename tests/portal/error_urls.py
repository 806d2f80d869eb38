"""The portal's URLs plus views that fail each way (tests/portal/test_error_pages.py)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from portal.urls import *  # noqa: F403 (the handlers too)
from portal.urls import urlpatterns as portal_urls


def _bad(request):
    raise SuspiciousOperation("a developer's words that no person should read")


def _denied(request):
    raise PermissionDenied("a developer's words that no person should read")


def _broken(request):
    raise RuntimeError("a developer's words that no person should read")


urlpatterns = [
    path("test-errors/400/", _bad),
    path("test-errors/403/", _denied),
    path("test-errors/500/", _broken),
    *portal_urls,
]
