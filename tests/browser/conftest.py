"""The web page in Debian's Chromium (Playwright for Python) against the real local stack.

One `LocalStack` per session on free ports, with URL import allowed to reach loopback (the test
serves its own images on 127.0.0.1) and a 1 MiB upload limit so "too large" is cheap to provoke.
Each test signs in as its own user, so tests never see each other's images.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from local.server import POLL_INTERVAL_S

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MAX_UPLOAD_BYTES = 1024 * 1024
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def _reset_imageapi_caches() -> None:
    """Other suites in this process may have built settings and boto3 clients for another
    endpoint; the in-process handlers must see this stack's environment."""
    from imageapi.context import rebuild

    rebuild()


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory):
    from local.stack import LocalStack

    saved = os.environ.get("IMPORT_ALLOW_PRIVATE_NETWORKS")
    os.environ["IMPORT_ALLOW_PRIVATE_NETWORKS"] = "true"
    _reset_imageapi_caches()
    try:
        with LocalStack(
            port=0,
            moto_port=0,
            state_dir=tmp_path_factory.mktemp("local-state"),
            visibility_timeout=2,
            parameter_overrides={"MaxUploadBytes": str(MAX_UPLOAD_BYTES)},
        ) as running:
            _reset_imageapi_caches()
            yield running
    finally:
        _reset_imageapi_caches()
        if saved is None:
            os.environ.pop("IMPORT_ALLOW_PRIVATE_NETWORKS", None)
        else:
            os.environ["IMPORT_ALLOW_PRIVATE_NETWORKS"] = saved


CONDITION_BOUND_MS = 40_000


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect

    # Assertions wait as long as actions do: a busy CI machine must not turn slowness into failure.
    # Bounds for a failure, not timings: a condition met sooner ends the wait at once (a card not
    # drawn within 15 s once happened in a fresh-clone run with both workers busy).
    expect.set_options(timeout=CONDITION_BOUND_MS)
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def user() -> str:
    return f"web-{uuid.uuid4().hex[:10]}"


class PageErrors:
    """Collects uncaught exceptions and CSP violations; a test fails if any happened."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def attach(self, page) -> None:
        page.on("pageerror", lambda exc: self.items.append(f"pageerror: {exc}"))
        page.on("console", self._console)

    def _console(self, msg) -> None:
        text = msg.text
        if msg.type == "error" and ("Content Security Policy" in text or "Refused to" in text):
            self.items.append(f"csp: {text}")


@pytest.fixture
def context(browser, request):
    width = getattr(request, "param", 1280)
    ctx = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    ctx.set_default_timeout(CONDITION_BOUND_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page_errors() -> Iterator[PageErrors]:
    errors = PageErrors()
    yield errors
    assert errors.items == [], "the page raised errors or broke its CSP:\n" + "\n".join(errors.items)


@pytest.fixture
def open_page(stack, context, page_errors, user):
    """Opens the page signed in as `user` (through the page's own user switcher)."""

    def _open(sub: str | None = None, ctx=None):
        sub = sub or user
        page = (ctx or context).new_page()
        page_errors.attach(page)
        page.goto(stack.api_url + "/")
        page.wait_for_selector("body[data-ready=true]")
        page.fill("#user-name", sub)
        page.click("#user-form button[type=submit]")
        wait_until(page, "document.querySelector('#gallery').getAttribute('aria-busy') === 'false'")
        wait_until(page, "sub => localStorage.getItem('imageapi.localUser') === sub", arg=sub)
        page.wait_for_selector("#gallery-summary:not(:empty)")
        return page

    return _open


def wait_until(page, js: str, arg=None, timeout: float = 15.0):
    """Polls `js` in the page until it is truthy. (Playwright's wait_for_function evaluates a
    string inside the page, which the page's CSP rightly forbids; evaluate() is not affected.)"""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(js, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {js}")
        page.wait_for_timeout(100)


# ------------------------------------------------------------------ test data


def jpeg_bytes(width: int = 1200, height: int = 800, quality: int = 88) -> bytes:
    from PIL import Image

    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    r, g, b = img.split()
    img = Image.merge("RGB", (r, g.transpose(Image.Transpose.FLIP_LEFT_RIGHT), b.rotate(90).resize((width, height))))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def noise_jpeg_bytes(width: int = 900, height: int = 700) -> bytes:
    """Noise compresses badly: a JPEG of about half a megabyte (under the tests' 1 MiB limit)."""
    from PIL import Image

    img = Image.merge("RGB", [Image.effect_noise((width, height), 60 + 10 * i) for i in range(3)])
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def png_bytes(width: int = 96, height: int = 64, color: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height), color)
    ImageDraw.Draw(img).ellipse((width // 4, height // 4, width * 3 // 4, height * 3 // 4), fill=(30, 90, 200))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def files(tmp_path: Path):
    """Writes named test files and returns their paths."""

    def _write(name: str, data: bytes) -> str:
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)

    return _write


class ApiClient:
    """Seeds images straight through the public API (presigned POST, as a browser would)."""

    def __init__(self, stack, sub: str) -> None:
        self.url = stack.api_url
        self.headers = {"Authorization": f"Bearer {stack.token(sub)}"}

    def upload(self, title: str, data: bytes, content_type: str = "image/png") -> dict:
        r = requests.post(
            f"{self.url}/images",
            headers=self.headers,
            timeout=10,
            json={"title": title, "content_type": content_type, "size": len(data)},
        )
        assert r.status_code == 201, r.text
        body = r.json()
        form = body["upload"]
        s3 = requests.post(form["url"], data=form["fields"], files={"file": ("f", data, content_type)}, timeout=10)
        assert s3.status_code in (200, 201, 204), s3.text
        return body["image"]

    def wait(self, image_id: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            r = requests.get(f"{self.url}/images/{image_id}", headers=self.headers, timeout=10)
            assert r.status_code == 200, r.text
            image = r.json()
            if image["status"] != "pending" or time.monotonic() > deadline:
                return image
            time.sleep(0.2)

    def seed(self, titles: list[str]) -> list[dict]:
        created = [
            self.upload(t, png_bytes(color=(40 + 9 * i % 200, 120, 200 - 7 * i % 180))) for i, t in enumerate(titles)
        ]
        ready = [self.wait(image["id"]) for image in created]
        assert all(image["status"] == "ready" for image in ready), ready
        return ready


@pytest.fixture
def api(stack, user) -> ApiClient:
    return ApiClient(stack, user)


@pytest.fixture
def image_server(tmp_path: Path):
    """A tiny http.server on 127.0.0.1 serving files from a directory (for URL import)."""
    root = tmp_path / "served"
    root.mkdir()
    handler = partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL_S}, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def node_binary() -> str | None:
    return shutil.which("node")
