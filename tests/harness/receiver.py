"""A webhook receiver on 127.0.0.1 for the webhook suites: it records every request (headers and
the exact body) and answers what the test tells it to, in order (``answers``), then 200. It can
verify each request with the official ``standardwebhooks`` package against the secrets it is
given, the way an app's receiver would."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local.server import POLL_INTERVAL_S


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"ok": true}'


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answers: list[Answer] = []  # the next answers, then 200
        self.on_request: Callable[[Received], None] | None = None
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                got = Received(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length).decode()
                )
                with receiver._lock:
                    receiver.received.append(got)
                    answer = receiver.answers.pop(0) if receiver.answers else Answer()
                if receiver.on_request:
                    receiver.on_request(got)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL_S}, daemon=True
        )

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def url(self, path: str = "/hooks") -> str:
        return self.origin + path

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, *answers: Answer | int) -> None:
        with self._lock:
            self.answers.extend(a if isinstance(a, Answer) else Answer(a) for a in answers)

    def verify(self, received: Received, secret: str) -> dict[str, Any]:
        """What an app's receiver does with the official package (raises on a bad signature)."""
        from standardwebhooks import Webhook

        return Webhook(secret).verify(received.body, received.headers)  # type: ignore[no-any-return]
