"""R81/R87 at the edges of the signature headers and of the signed path (issue 9).

Whatever a client puts in `X-Platform-Timestamp` or `X-Platform-Signature`, an unsigned or
wrongly signed request is a 401 with the usual body, never a 500, and stores nothing. A GET
is verified against the path exactly as the client sent it, so an id that is not UTF-8 is
a 404 when signed properly.

Header values reach Django as latin-1 text (PEP 3333), so "é", "\\xa0", "²" are what a
server hands over; the Arabic-Indic and fullwidth digits can only come in-process (a test
client, a middleware) and are here because `int()` reads them as numbers.
"""

import json
import time

import pytest

from claims.models import Order
from platform_api.auth import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, signed_headers
from platform_api.models import PlatformEvent
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db

UNAUTHORIZED = {"error": "invalid or missing signature"}
READ_BACKS = ["/api/v1/orders/O1", "/api/v1/refunds/R1"]


@pytest.fixture
def client(client):
    """A 500 is an answer to assert on, not an exception in the test."""
    client.raise_request_exception = False
    return client


def now() -> str:
    return str(int(time.time()))


def signed_over(timestamp):
    """Headers with this exact timestamp text, correctly signed over it with the secret."""

    def headers(tail: bytes) -> dict:
        ts = timestamp()
        return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(ts.encode() + b"." + tail)}

    return headers


def with_signature(signature):
    """A current timestamp and this signature text (made from the correct one, maybe)."""

    def headers(tail: bytes) -> dict:
        ts = now()
        return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: signature(sign(ts.encode() + b"." + tail))}

    return headers


NON_ASCII_SIGNATURES = {
    "sha256=é…": with_signature(lambda good: "sha256=" + "é" * 64),
    "only é": with_signature(lambda good: "é"),
    "sha256=ÿ…": with_signature(lambda good: "sha256=" + "\xff" * 64),
    "Ä in the hex": with_signature(lambda good: "sha256=Ä" + good[8:]),
    "correct then nbsp": with_signature(lambda good: good + "\xa0"),
}

NON_ASCII_DIGIT_TIMESTAMPS = {
    "5000 digits": signed_over(lambda: "9" * 5000),
    "superscript two": signed_over(lambda: "²"),
    "now ending in superscript": signed_over(lambda: now()[:-1] + "²"),
    "now in Arabic-Indic digits": signed_over(
        lambda: now().translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    ),
    "now in fullwidth digits": signed_over(
        lambda: now().translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    ),
}

HOSTILE = {**NON_ASCII_SIGNATURES, **NON_ASCII_DIGIT_TIMESTAMPS}

# int() reads these as a number; a fix that just catches int()'s ValueError lets them in.
INT_FRIENDLY_TIMESTAMPS = {
    "leading plus": signed_over(lambda: "+" + now()),
    "leading space": signed_over(lambda: " " + now()),
    "trailing space": signed_over(lambda: now() + " "),
    "underscores": signed_over(lambda: now()[:4] + "_" + now()[4:]),
    "negative": signed_over(lambda: "-" + now()),
    "empty": signed_over(lambda: ""),
}


def post_event(client, shop, make_headers, **extra):
    body = json.dumps(ev.order_placed("O1", shop.platform_shop_id)).encode()
    return client.post(
        "/api/v1/events",
        data=body,
        content_type="application/json",
        headers=make_headers(body),
        **extra,
    )


def assert_refused(response):
    assert response.status_code == 401  # first: a 500's HTML body is not JSON
    assert response.json() == UNAUTHORIZED


def assert_refused_and_nothing_stored(response):
    assert_refused(response)
    assert not Order.objects.exists() and not PlatformEvent.objects.exists()


@pytest.mark.parametrize("make_headers", NON_ASCII_SIGNATURES.values(), ids=NON_ASCII_SIGNATURES)
def test_R81_a_non_ascii_signature_is_401_not_500_and_nothing_is_stored(client, shop, make_headers):
    assert_refused_and_nothing_stored(post_event(client, shop, make_headers))


@pytest.mark.parametrize(
    "make_headers", NON_ASCII_DIGIT_TIMESTAMPS.values(), ids=NON_ASCII_DIGIT_TIMESTAMPS
)
def test_R81_a_timestamp_that_is_not_plain_ascii_digits_is_401_even_when_signed(
    client, shop, make_headers
):
    assert_refused_and_nothing_stored(post_event(client, shop, make_headers))


@pytest.mark.parametrize(
    "make_headers", INT_FRIENDLY_TIMESTAMPS.values(), ids=INT_FRIENDLY_TIMESTAMPS
)
def test_R81_a_timestamp_with_a_sign_spaces_or_nothing_stays_401_even_when_signed(
    client, shop, make_headers
):
    assert_refused_and_nothing_stored(post_event(client, shop, make_headers))


@pytest.mark.parametrize(
    ("length", "status"),
    [("²", 401), ("9" * 5000, 413)],
    ids=["superscript two", "5000 digits"],
)
def test_R81_R83_a_content_length_int_cannot_read_is_401_or_413_not_500(
    client, shop, length, status
):
    response = post_event(client, shop, signed_headers, CONTENT_LENGTH=length)

    assert response.status_code == status
    assert not Order.objects.exists() and not PlatformEvent.objects.exists()


@pytest.mark.parametrize("make_headers", HOSTILE.values(), ids=HOSTILE)
@pytest.mark.parametrize("path", READ_BACKS)
def test_R87_a_read_back_with_a_hostile_signature_header_is_401_not_500(client, path, make_headers):
    assert_refused(client.get(path, headers=make_headers(path.encode())))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/refunds/%FF",
        "/api/v1/orders/%FF",
        "/api/v1/refunds/R%FE1?lang=%FF&x=1",
        "/api/v1/orders/O;1=2",  # ";" and "=" need no escaping in a path; Django escapes them
    ],
)
def test_R87_an_id_signed_over_the_exact_path_sent_is_404_and_a_wrong_signature_401(client, path):
    sent = client.get(path, headers=signed_headers(path.encode()))
    wrong_secret = client.get(path, headers=signed_headers(path.encode(), secret="not-it"))
    other_path = client.get(path, headers=signed_headers((path + "0").encode()))

    assert sent.status_code == 404
    assert_refused(wrong_secret)
    assert other_path.status_code == 401


def test_R87_a_signature_over_djangos_escaped_spelling_of_the_path_is_still_accepted(client):
    """What today's clients may sign: `request.get_full_path()`, "%FF" re-escaped as "%25FF"."""
    response = client.get("/api/v1/refunds/%FF", headers=signed_headers(b"/api/v1/refunds/%25FF"))

    assert response.status_code == 404


@pytest.mark.parametrize("server_key", ["RAW_URI", "REQUEST_URI"])
def test_R87_the_raw_request_uri_the_server_reports_is_the_path_that_was_signed(client, server_key):
    sent = "/api/v1/refunds/%ff%20x?q=%ff"  # lower-case hex: only the raw URI keeps it so

    signed = client.get(sent, headers=signed_headers(sent.encode()), **{server_key: sent})
    other = client.get(
        sent, headers=signed_headers(b"/api/v1/refunds/%ff%20y?q=%ff"), **{server_key: sent}
    )

    assert signed.status_code == 404
    assert other.status_code == 401
