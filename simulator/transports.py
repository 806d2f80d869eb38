"""Transports: how the simulated marketplace reaches the portal's signed API (R81, R87).

`Transport` signs and sends; its subclasses only move bytes: `HttpTransport` to a running
portal with urllib, `InProcessTransport` through `django.test.Client` against the same URLs.
`read_claims` reads each simulated refund back (`GET /api/v1/refunds/<id>`).
"""

import json
import urllib.error
import urllib.request

from platform_api import events as build
from platform_api.auth import signed_headers
from simulator.market import Marketplace

EVENTS_PATH = "/api/v1/events"


class SimulationError(RuntimeError):
    """The portal answered something the simulator cannot go on with."""


class Transport:
    """Signs and sends; subclasses only move bytes."""

    label = ""

    def __init__(self, *, secret: str | None = None):
        self.secret = secret
        self.requests = 0

    def post_events(self, events: list[dict]) -> list[dict]:
        body, headers = build.signed_batch(events, secret=self.secret)  # R81
        status, payload = self._send("POST", EVENTS_PATH, body, headers)
        if status != 200:
            raise SimulationError(f"POST {EVENTS_PATH} answered {status}: {payload}{_hint(status)}")
        return payload["results"]

    def get(self, path: str) -> dict | None:
        """A signed read-back (R87): the message is "<timestamp>.<path>"; None on 404."""
        status, payload = self._send(
            "GET", path, None, signed_headers(path.encode(), secret=self.secret)
        )
        if status == 404:
            return None
        if status != 200:
            raise SimulationError(f"GET {path} answered {status}: {payload}{_hint(status)}")
        return payload

    def _send(self, method, path, body, headers) -> tuple[int, dict | str]:
        raise NotImplementedError


def _hint(status: int) -> str:
    if status == 401:
        return " (does the signing secret match the portal's PLATFORM_WEBHOOK_SECRET?)"
    if status in (301, 302, 400):
        return " (is the host in ALLOWED_HOSTS? over https if SECURE_SSL_REDIRECT is on?)"
    return ""


def _decode(raw: bytes):
    try:
        return json.loads(raw)
    except ValueError:
        return raw[:300].decode(errors="replace")


class HttpTransport(Transport):
    def __init__(self, base_url: str, *, secret=None, timeout: float = 120):
        super().__init__(secret=secret)
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        self.label = f"HTTP {self.base_url}"

    def _send(self, method, path, body, headers):
        headers = {**headers, "Content-Type": "application/json"}
        request = urllib.request.Request(
            self.base_url + path, data=body, headers=headers, method=method
        )
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, _decode(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _decode(error.read())
        except urllib.error.URLError as error:
            raise SimulationError(
                f"cannot reach {self.base_url}: {error.reason} (start the portal, e.g. bin/demo, "
                "or use --in-process)"
            ) from None


class InProcessTransport(Transport):
    """The same URLs through Django's test client: works outside tests too."""

    label = "in-process"

    def __init__(self, *, secret=None):
        from django.test import Client

        super().__init__(secret=secret)
        # 127.0.0.1 is in the development ALLOWED_HOSTS (the default "testserver" is not).
        self.client = Client(raise_request_exception=True, SERVER_NAME="127.0.0.1")

    def _send(self, method, path, body, headers):
        self.requests += 1
        response = self.client.generic(
            method,
            path,
            body or b"",
            content_type="application/json",
            headers=headers,
            secure=True,  # as behind the TLS proxy: no SECURE_SSL_REDIRECT in production mode
        )
        return response.status_code, _decode(response.content)


def read_claims(transport: Transport, market: Marketplace) -> dict[str, dict]:
    """Each refund as the marketplace reads it back (R87); unknown ids are left out."""
    views = {}
    for refund in market.refunds:
        view = transport.get(f"/api/v1/refunds/{refund.refund_id}")
        if view is not None:
            views[refund.refund_id] = view
    return views
