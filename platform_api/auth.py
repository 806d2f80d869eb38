"""R81/R87: HMAC-SHA256 request signatures with a timestamp window."""

import hashlib
import hmac
import time

from django.conf import settings

TIMESTAMP_HEADER = "X-Platform-Timestamp"
SIGNATURE_HEADER = "X-Platform-Signature"
WINDOW_SECONDS = 300


def sign(message: bytes, *, secret: str | None = None) -> str:
    key = (secret or settings.PLATFORM_WEBHOOK_SECRET).encode()
    return "sha256=" + hmac.new(key, message, hashlib.sha256).hexdigest()


def signed_headers(message_tail: bytes, *, timestamp: int | None = None, secret=None) -> dict:
    """Headers for a request whose signed tail is the raw body (POST) or the full path (GET)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: sign(ts.encode() + b"." + message_tail, secret=secret),
    }


def verify(request, tail: bytes) -> str | None:
    """None when the request is authentic, else why not (the response says only 401)."""
    ts = request.headers.get(TIMESTAMP_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not ts or not signature:
        return "missing signature headers"
    if not ts.isdigit():
        return "bad timestamp"
    if abs(time.time() - int(ts)) > WINDOW_SECONDS:
        return "timestamp outside the 300 s window"
    expected = sign(ts.encode() + b"." + tail)
    if not hmac.compare_digest(expected, signature):
        return "bad signature"
    return None
