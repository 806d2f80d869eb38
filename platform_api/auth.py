"""R81/R87: HMAC-SHA256 request signatures with a timestamp window.

Header values come from the client as they are (WSGI hands them over as latin-1 text), so
`verify` answers "not authentic" for anything odd and never raises: the timestamp must be
plain ASCII digits of a sane length (not "²", "١٢٣", "+1", " 1" or 5,000 digits, which
`int()` either accepts or chokes on), the signature ASCII text compared as bytes
(`hmac.compare_digest` raises TypeError on non-ASCII str).
"""

import hashlib
import hmac
import time
from collections.abc import Iterable

from django.conf import settings

TIMESTAMP_HEADER = "X-Platform-Timestamp"
SIGNATURE_HEADER = "X-Platform-Signature"
WINDOW_SECONDS = 300
MAX_TIMESTAMP_DIGITS = 12  # Unix seconds fit in 11 digits until the year 5138


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


def _timestamp(value: str) -> int | None:
    """Unix seconds from plain ASCII digits, else None (never raises)."""
    if not (value.isascii() and value.isdigit() and len(value) <= MAX_TIMESTAMP_DIGITS):
        return None
    return int(value)


def verify(request, tail: bytes | Iterable[bytes]) -> str | None:
    """None when the request is authentic, else why not (the response says only 401).

    `tail` is the signed message after "<timestamp>.": the raw body, or for a GET the
    spellings of the path that may have been signed (any one of them will do). The reason
    returned is a fixed text, never a header value, so logging it is always safe.
    """
    ts = request.headers.get(TIMESTAMP_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not ts or not signature:
        return "missing signature headers"
    seconds = _timestamp(ts)
    if seconds is None:
        return "bad timestamp"
    if abs(time.time() - seconds) > WINDOW_SECONDS:
        return "timestamp outside the 300 s window"
    if not signature.isascii():
        return "bad signature"
    given = signature.encode("ascii")
    tails = [tail] if isinstance(tail, bytes | bytearray) else list(tail)
    prefix = ts.encode("ascii") + b"."
    # compare every candidate (no early exit), so the time taken says nothing about which
    matches = [hmac.compare_digest(sign(prefix + t).encode("ascii"), given) for t in tails]
    return None if any(matches) else "bad signature"
