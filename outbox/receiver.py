"""The marketplace's side of the callbacks (R110), on loopback: for the simulator, the demo,
the tests and the benchmark.

It checks each POST's signature (the mirror of R81), records what came (raw body, id, type,
arrival time, whether the signature held) and answers 200, or, on demand, a 500 or nothing
for a while (a hang past the sender's read timeout). It notices a message posted again
while a copy of it is still in flight (two workers at once): `overlaps`.
"""

import collections
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    message_id: str
    type: str
    raw: bytes
    signed: bool  # the signature checked out with the shared secret
    answered: int | None  # the status sent back (None: not yet, or hung up without one)
    at: float  # time.time() on arrival

    @property
    def envelope(self) -> dict:
        return json.loads(self.raw)


class Receiver:
    def __init__(self, secret: str, *, port: int = 0, hold: float = 0.0):
        self.secret = secret
        self.hold = hold  # seconds each answer waits (to make overlaps visible)
        self.received: list[Received] = []
        self.overlaps: list[str] = []
        self._script: collections.deque = collections.deque()  # ("fail", code) | ("hang", s)
        self._lock = threading.Lock()
        self._in_flight: collections.Counter = collections.Counter()
        self._count = 0
        self.every()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/callbacks"

    # --- what to answer ---

    def fail_next(self, count: int = 1, code: int = 500) -> None:
        with self._lock:
            self._script.extend([("fail", code)] * count)

    def hang_next(self, count: int = 1, seconds: float = 5.0) -> None:
        with self._lock:
            self._script.extend([("hang", seconds)] * count)

    def every(self, *, fail_every: int = 0, hang_every: int = 0, hang_seconds: float = 15.0):
        """Beyond the script: answer every `fail_every`-th request with 500 and hang on every
        `hang_every`-th (0: never)."""
        self._fail_every, self._hang_every, self._hang_seconds = (
            fail_every,
            hang_every,
            hang_seconds,
        )

    def _next_answer(self):
        with self._lock:
            if self._script:
                return self._script.popleft()
            self._count += 1
            if self._hang_every and self._count % self._hang_every == 0:
                return ("hang", self._hang_seconds)
            if self._fail_every and self._count % self._fail_every == 0:
                return ("fail", 500)
            return ("ok", 200)

    # --- life ---

    def start(self) -> "Receiver":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- what came ---

    def delivered(self) -> list[Received]:
        return [r for r in self.received if r.answered and 200 <= r.answered < 300]

    def ids(self) -> list[str]:
        return [r.message_id for r in self.delivered()]

    def report(self) -> dict:
        by_type = collections.Counter(r.type for r in self.delivered())
        return {
            "requests": len(self.received),
            "delivered": len(self.delivered()),
            "distinct_messages": len({r.message_id for r in self.delivered()}),
            "bad_signatures": sum(1 for r in self.received if not r.signed),
            "answered_500": sum(1 for r in self.received if r.answered == 500),
            "hung": sum(1 for r in self.received if r.answered is None),
            "overlaps": len(self.overlaps),
            "by_type": dict(sorted(by_type.items())),
        }

    def _verify(self, timestamp: str, signature: str, raw: bytes) -> bool:
        mac = hmac.new(self.secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256)
        return hmac.compare_digest(f"sha256={mac.hexdigest()}", signature)

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # the headers and the body go in two writes: without TCP_NODELAY each answer on a
            # kept-alive connection waits for the client's delayed ACK (~40 ms)
            disable_nagle_algorithm = True

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = time.time()
                signed = receiver._verify(
                    self.headers.get("X-Warranty-Timestamp", ""),
                    self.headers.get("X-Warranty-Signature", ""),
                    raw,
                )
                try:
                    envelope = json.loads(raw)
                    message_id, kind = str(envelope["id"]), str(envelope["type"])
                except (ValueError, KeyError, TypeError):
                    message_id, kind = "", ""
                record = Received(message_id, kind, raw, signed, None, arrived)
                with receiver._lock:
                    if receiver._in_flight[message_id]:
                        receiver.overlaps.append(message_id)
                    receiver._in_flight[message_id] += 1
                    receiver.received.append(record)  # answered: None until answered
                try:
                    answer, value = receiver._next_answer()
                    if receiver.hold:
                        time.sleep(receiver.hold)
                    if answer == "hang":
                        time.sleep(value)
                        code = None
                    else:
                        code = 401 if not signed else value
                    record.answered = code
                    if code is None:
                        self.close_connection = True
                        return
                    reply = b'{"ok":true}' if code < 300 else b'{"error":"try later"}'
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                finally:
                    with receiver._lock:
                        receiver._in_flight[message_id] -= 1

        return Handler
