"""The platform event API (R80-R87): thin views over ingest and the read-back selectors."""

import json
import logging
from decimal import Decimal
from urllib.parse import quote

from django.http import JsonResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from platform_api import auth, readback
from platform_api.ingest import apply_events
from platform_api.openapi import openapi_document
from platform_api.schemas import text_problem

logger = logging.getLogger(__name__)

MAX_BATCH = 1000
MAX_BODY_BYTES = 64 * 1024 * 1024


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
@require_POST
def events(request):
    """R80-R83: one event or {"events": [...]} (at most 1,000); a result per event."""
    length = request.headers.get("Content-Length", "")  # as sent: may be "²" or 5,000 digits
    if length.isascii() and length.isdigit() and (len(length) > 18 or int(length) > MAX_BODY_BYTES):
        return _error(413, f"body over {MAX_BODY_BYTES} bytes")
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _error(413, f"body over {MAX_BODY_BYTES} bytes")
    problem = auth.verify(request, body)
    if problem:
        logger.warning("platform API: %s", problem)
        return _error(401, "invalid or missing signature")  # R81: nothing is stored
    try:
        payload = json.loads(body, parse_float=Decimal)
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: nested too deep
        return _error(400, "malformed JSON")
    if isinstance(payload, dict) and "events" in payload:
        batch = payload["events"]
        if not isinstance(batch, list):
            return _error(400, '"events" must be a list')
    elif isinstance(payload, dict):
        batch = [payload]
    else:
        return _error(400, 'send one event object or {"events": [...]}')
    if len(batch) > MAX_BATCH:
        return _error(400, f"{len(batch)} events in one batch; at most {MAX_BATCH}")
    with translation.override("en"):  # the marketplace reads English errors
        results = apply_events(batch)
    return JsonResponse({"results": [r.as_dict() for r in results]})


# What a client leaves unescaped in a path: RFC 3986 pchar and "/" (quote() keeps "-._~"),
# and "%", which in `request.path` only begins a byte Django re-escaped (see _sent_path).
_PATH_SAFE = "/:@!$&'()*+,;=%"


def _wsgi_bytes(value: str) -> bytes:
    """The bytes behind a WSGI environ string (latin-1 by PEP 3333), never raising."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:  # not from a server; from a test or a misbehaving middleware
        return value.encode("utf-8", "backslashreplace")


def _sent_path(request) -> bytes:
    """R87: the path with query string as the client sent it.

    The server's raw request URI when it gives one (gunicorn: RAW_URI; others: REQUEST_URI).
    Else rebuilt: Django has already replaced the environ's PATH_INFO (request.environ is
    request.META) by its text, in which bytes that are not UTF-8 stand re-escaped ("%FF");
    percent-encode that text as UTF-8 leaving those escapes and what a client leaves
    unescaped, then add the query string, which Django leaves as received. (Lower-case hex
    and a literal "%" sent as "%25" cannot be told apart there: the raw URI keeps the
    first, the get_full_path() spelling the caller also accepts covers the second.)
    """
    environ = request.META
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return _wsgi_bytes(raw)
    sent = quote(request.path.encode("utf-8", "backslashreplace"), safe=_PATH_SAFE)
    query = environ.get("QUERY_STRING", "")
    return sent.encode("ascii") + (b"?" + _wsgi_bytes(query) if query else b"")


def _signed_get(view):
    def wrapped(request, *args, **kwargs):
        # The path as sent; also Django's re-escaped spelling, which clients sign today (it
        # differs only where the path is not UTF-8 or has a character Django escapes).
        tails = list(dict.fromkeys([_sent_path(request), request.get_full_path().encode()]))
        problem = auth.verify(request, tails)
        if problem:
            logger.warning("platform API: %s", problem)
            return _error(401, "invalid or missing signature")  # R81/R87
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _read_back(read, noun: str, key: str):
    """R87: what `read` answers for the platform's id `key`, or a 404 naming the `noun`."""
    data = None if text_problem(key) else read(key)
    return JsonResponse(data) if data else _error(404, f"unknown {noun} {key!r}")


@csrf_exempt  # signed, no cookies: a wrong method is a 405, not a CSRF 403
@require_GET
@_signed_get
def order_detail(request, order_id: str):
    """R87: the order's insurance and policy."""
    return _read_back(readback.order, "order", order_id)


@csrf_exempt
@require_GET
@_signed_get
def refund_detail(request, refund_id: str):
    """R87: the refund's coverage and claim."""
    return _read_back(readback.refund, "refund", refund_id)


@require_GET
def openapi(request):
    """R86: the OpenAPI description of this API."""
    return JsonResponse(openapi_document(), json_dumps_params={"ensure_ascii": False})
