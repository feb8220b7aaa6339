"""Shared by tests/e2e, tests/security and tests/reliability: one local stack per package (moto behind the
S3 POST-policy middleware, the local gateway with JWT checks, the SQS poller feeding ingest), a
small API client, a loopback file server for URL import, and a log capture."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests


class Client:
    """A bearer-token API client, as a script would use the API."""

    def __init__(self, base: str, token: str | None) -> None:
        self.base = base
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        kwargs.setdefault("allow_redirects", False)
        return self.session.request(method, self.base + path, **kwargs)

    def wait_for(self, image_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            image = self.request("GET", f"/images/{image_id}").json()
            if image["status"] != "pending" or time.monotonic() > deadline:
                return image
            time.sleep(0.2)

    def presigned_upload(
        self, title: str, data: bytes, content_type: str
    ) -> tuple[requests.Response, requests.Response | None]:
        """POST /images for a form, then the bytes to S3. (API reply, S3 reply or None)."""
        created = self.request(
            "POST", "/images", json={"title": title, "content_type": content_type, "size": max(1, len(data))}
        )
        if created.status_code != 201:
            return created, None
        upload = created.json()["upload"]
        s3 = requests.post(
            upload["url"], data=upload["fields"], files={"file": ("upload.bin", data, content_type)}, timeout=60
        )
        return created, s3


def assert_problem(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"].startswith("urn:")
    return body


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
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(self, path: str, data: bytes, content_type: str) -> str:
        self.files[path] = (data, content_type)
        return f"http://127.0.0.1:{self._server.server_port}{path}"


class LogCapture(logging.Handler):
    """Every record of every logger while installed (root, propagation-less Powertools loggers,
    werkzeug, local.*), formatted, plus what the handlers print to stdout/stderr."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self._lock2 = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a record whose args do not format
            text = str(record.msg)
        extra = {
            k: v for k, v in record.__dict__.items() if k not in logging.LogRecord("", 0, "", 0, "", (), None).__dict__
        }
        with self._lock2:
            self.lines.append(f"{record.name} {record.levelname} {text} {extra} {record.exc_text or ''}")

    @property
    def text(self) -> str:
        with self._lock2:
            return "\n".join(self.lines)


@contextlib.contextmanager
def capture_logs(
    debug: tuple[str, ...] = ("image-api", "imageapi", "urllib3"), *, this_thread: bool = False
) -> Iterator[LogCapture]:
    """Capture every record any logger emits (whatever its handlers or propagation, including
    loggers created while capturing), at the levels the stack runs with plus DEBUG for the
    service's own loggers and urllib3 (what an operator's LogLevel=DEBUG turns on)."""
    capture = LogCapture()
    original = logging.Logger.handle
    test_thread = threading.current_thread()

    def handle(self: logging.Logger, record: logging.LogRecord) -> None:
        original(self, record)  # the logger's own filters first (they may redact the record)
        # Only the stack's threads (gateway, AWS endpoint, pollers): not the test's own client.
        if not self.disabled and (this_thread or threading.current_thread() is not test_thread):
            capture.handle(record)

    levels = {name: logging.getLogger(name).level for name in debug}
    for name in debug:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.Logger.handle = handle  # type: ignore[method-assign]
    try:
        yield capture
    finally:
        logging.Logger.handle = original  # type: ignore[method-assign]
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


class FakeContext:
    """The attributes of Lambda's context object that Powertools reads."""

    function_version = "$LATEST"

    def __init__(self, function_name: str = "test-function", memory_mb: int = 256, timeout_ms: int = 10_000) -> None:
        self.function_name = function_name
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.aws_request_id = "test-request"
        self._timeout_ms = timeout_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._timeout_ms


def run_node_tests(folder: str) -> None:
    """Runs `node --test folder` from the repository root and fails the calling test on a failure."""
    import shutil
    import subprocess

    import pytest

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the JavaScript unit tests need Node 20+ (`node --test`)")
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [node, "--test", folder], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
