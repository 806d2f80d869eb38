"""An HTTP client with cookies of its own (one per thread), which signs in through the real
login form (CSRF cookie and token, then POST)."""

import http.client
import re
import time
import urllib.parse
from dataclasses import dataclass, field


@dataclass
class Response:
    status: int
    body: bytes
    ttfb: float  # seconds to the response headers
    seconds: float  # to the last byte
    size: int
    location: str = ""


@dataclass
class Session:
    host: str
    port: int
    cookies: dict = field(default_factory=dict)

    def request(self, method, path, body=None, headers=None, keep_body=True) -> Response:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
        start = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        ttfb = time.perf_counter() - start
        chunks, size = [], 0
        while True:
            chunk = response.read(65536)
            if not chunk:
                break
            size += len(chunk)
            if keep_body:
                chunks.append(chunk)
        seconds = time.perf_counter() - start
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        conn.close()
        return Response(
            response.status,
            b"".join(chunks),
            ttfb,
            seconds,
            size,
            response.getheader("Location") or "",
        )

    def login(self, username: str, password: str) -> None:
        """The real login form: GET for the CSRF cookie and token, then POST."""
        page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        if page.status != 200 or not token:
            raise RuntimeError(f"login page: {page.status}")
        body = urllib.parse.urlencode(
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1).decode(),
            }
        )
        done = self.request(
            "POST",
            "/accounts/login/",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if done.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login as {username} failed: {done.status}")
