"""A WSGI app served by werkzeug on 127.0.0.1 in a background thread (threaded, so a slow
request never blocks the next): what the local AWS endpoint and the gateway both run on."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

# How often serve_forever looks for a shutdown() request. socketserver's default half second was
# paid by every stop of every server (two per local stack, one per test receiver).
POLL_INTERVAL_S = 0.05


class BackgroundServer:
    def __init__(self, app: Any, host: str, port: int, name: str, request_handler: type | None = None) -> None:
        self.app = app
        self._name = name
        # Dispatch through self.app so an app can be attached after binding (its config may need the port).
        self._server: BaseWSGIServer = make_server(
            host, port, self._wsgi, threaded=True, request_handler=request_handler
        )
        self._thread: threading.Thread | None = None

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL_S}, name=self._name, daemon=True
        )
        self._thread.start()

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=POLL_INTERVAL_S)

    def stop(self) -> None:
        # shutdown() waits for serve_forever to notice; a server never started would wait forever
        # (a stack whose start failed halfway stops what it made).
        if self._thread:
            self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)
            self._thread = None
