"""The local stack for one package or module (moto behind the S3 POST-policy middleware, the
local gateway with JWT checks, the SQS poller feeding ingest), and a loopback file server for URL
import."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from local.server import POLL_INTERVAL_S


def _forget_environment() -> None:
    """The in-process handlers cache settings and boto3 clients built from os.environ; another
    suite's stack may have built them for its own endpoint."""
    from imageapi.context import rebuild

    rebuild()


@contextlib.contextmanager
def local_stack(
    state_dir: Path, name: str, *, pollers: bool = True, overrides: dict[str, str] | None = None, **env: str
) -> Iterator[Any]:
    """A LocalStack (its handlers bound to it), with extra process environment read when it
    starts; everything is restored afterwards. Use it for one package or module at a time: the
    stacks of a pytest process share os.environ and the handlers' module state. moto's backends
    are process-global too: ``name`` gives this stack its own bucket, table and queues, so its
    DynamoDB table does not carry every other suite's items."""
    from local.stack import LocalStack

    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    _forget_environment()
    try:
        with LocalStack(
            port=0,
            moto_port=0,
            state_dir=state_dir,
            visibility_timeout=2,
            pollers=pollers,
            parameter_overrides=overrides,
            name_prefix=f"test-{name}",
        ) as running:
            _forget_environment()
            yield running
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _forget_environment()


class FileServer:
    """Serves registered bytes on 127.0.0.1 (the URL-import source), logging nothing."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        files = self.files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path not in files:
                    self.send_error(404)
                    return
                data, content_type = files[path]
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL_S}, daemon=True
        )

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(self, path: str, data: bytes, content_type: str) -> str:
        self.files[path] = (data, content_type)
        return f"http://127.0.0.1:{self._server.server_port}{path}"
