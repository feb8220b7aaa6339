"""Requests and bytes per gallery view (issue 12): the web page in Debian's Chromium against a
local stack holding ready images, first view and reload, counted where the server sees them.

A counting WSGI middleware in front of the local gateway (which also serves the CDN stand-in under
``/_cdn``) records every request that reaches the server with its response body bytes. Requests are
split by path: API routes (a Lambda invocation and an API Gateway request each in AWS), renditions
(``/_cdn``: CloudFront in AWS; or the S3 endpoint in s3 mode), and the rest (the web page's own
static files and the local sign-in, served by the web hosting stack / Cognito in AWS). Counts only:
nothing here depends on time. Used by ``bench/delivery.py`` and by tests/browser/test_gallery_delivery.py.
"""

from __future__ import annotations

import faulthandler
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

API_PREFIXES = ("/images", "/upload_image", "/list_images", "/analyse_image", "/health", "/openapi.json", "/docs")
CDN_PREFIX = "/_cdn/"
USER_KEY = "imageapi.localUser"  # web/js/auth.js: the local user the page signs in as


@dataclass
class Hit:
    method: str
    path: str
    status: int
    bytes: int
    content_type: str = ""


@dataclass
class ViewCount:
    """What one page view made the server do."""

    api: list[Hit] = field(default_factory=list)
    renditions: list[Hit] = field(default_factory=list)
    other: list[Hit] = field(default_factory=list)

    @property
    def api_requests(self) -> int:
        return len(self.api)

    @property
    def rendition_requests(self) -> int:
        return len(self.renditions)

    @property
    def rendition_bytes(self) -> int:
        return sum(hit.bytes for hit in self.renditions)

    @property
    def server_requests(self) -> int:
        """API and rendition requests: what a view costs the API and the CDN/bucket."""
        return self.api_requests + self.rendition_requests

    def as_dict(self) -> dict[str, Any]:
        return {
            "api_requests": self.api_requests,
            "api_bytes": sum(hit.bytes for hit in self.api),
            "api_paths": sorted({hit.path for hit in self.api}),
            "rendition_requests": self.rendition_requests,
            "rendition_bytes": self.rendition_bytes,
            "rendition_statuses": sorted({hit.status for hit in self.renditions}),
            "rendition_types": sorted({hit.content_type for hit in self.renditions if hit.content_type}),
            "server_requests": self.server_requests,
            "static_and_signin_requests": len(self.other),
        }


class CountingMiddleware:
    """Wraps a WSGI app; records every request with the bytes of its response body."""

    def __init__(self, app: Callable[..., Iterable[bytes]], rendition_prefixes: tuple[str, ...] = (CDN_PREFIX,)):
        self.app = app
        self.rendition_prefixes = rendition_prefixes
        self.hits: list[Hit] = []
        self._lock = threading.Condition()
        self._in_flight = 0  # requests the app is answering: their hit is recorded when the body is sent

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        with self._lock:
            self._in_flight += 1
        status: list[int] = [0]
        content_type: list[str] = [""]

        def recording_start(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = int(code.split(" ", 1)[0])
            content_type[0] = next((v for k, v in headers if k.lower() == "content-type"), "")
            return start_response(code, headers, exc_info) if exc_info else start_response(code, headers)

        sent = 0
        try:
            for chunk in self.app(environ, recording_start):
                sent += len(chunk)
                yield chunk
        finally:
            path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
            with self._lock:
                self.hits.append(Hit(environ.get("REQUEST_METHOD", "GET"), path, status[0], sent, content_type[0]))
                self._in_flight -= 1
                self._lock.notify_all()

    def take(self, timeout_s: float = 30) -> ViewCount:
        """The hits since the last take, once every request the server is answering has finished
        (a client may hold its whole answer before the server thread records it)."""
        with self._lock:
            if not self._lock.wait_for(lambda: self._in_flight == 0, timeout_s):
                raise RuntimeError(f"{self._in_flight} requests still in flight after {timeout_s} s")
            hits, self.hits = self.hits, []
        view = ViewCount()
        for hit in hits:
            if hit.method == "OPTIONS":
                view.other.append(hit)  # CORS preflights: none on the same origin, cached otherwise
            elif hit.path.startswith(self.rendition_prefixes):
                view.renditions.append(hit)
            elif hit.path.startswith(API_PREFIXES):
                view.api.append(hit)
            else:
                view.other.append(hit)
        return view


def png(index: int) -> bytes:
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (320, 240), (40 + 9 * index % 200, 120, 200 - 7 * index % 180))
    ImageDraw.Draw(img).ellipse((80, 60, 240, 180), fill=(30, 90, 200 - index))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def upload(api_url: str, token: str, images: list[tuple[str, bytes, str]], timeout_s: float = 180) -> list[str]:
    """Uploads ``(title, bytes, content type)`` through the public API (presigned POST, as a browser
    does) and waits until every image is ready; answers the ids in upload order."""
    headers = {"Authorization": f"Bearer {token}"}
    ids = []
    with requests.Session() as http:
        for title, data, content_type in images:
            body = {"title": title, "content_type": content_type, "size": len(data)}
            created = http.post(f"{api_url}/images", headers=headers, json=body, timeout=30)
            created.raise_for_status()
            form = created.json()["upload"]
            stored = http.post(form["url"], data=form["fields"], files={"file": ("f", data, content_type)}, timeout=60)
            stored.raise_for_status()
            ids.append(created.json()["image"]["id"])
        deadline = time.monotonic() + timeout_s
        for image_id in ids:
            while True:
                status = http.get(f"{api_url}/images/{image_id}", headers=headers, timeout=30).json()["status"]
                if status == "ready":
                    break
                if status == "rejected" or time.monotonic() > deadline:
                    raise RuntimeError(f"image {image_id} did not become ready ({status})")
                time.sleep(0.2)  # polling the API for a state change, as any client does
    return ids


def seed(api_url: str, token: str, count: int, timeout_s: float = 120) -> list[str]:
    """``count`` small ready PNGs (320 x 240)."""
    return upload(api_url, token, [(f"gallery {i:02d}", png(i), "image/png") for i in range(count)], timeout_s)


def seed_photos(api_url: str, token: str, count: int, timeout_s: float = 300) -> list[str]:
    """``count`` ready camera-like JPEG photos of 3000-4000 px (``bench.photos``, cached on disk)."""
    from bench.photos import gallery_photos

    photos = gallery_photos(count)
    return upload(api_url, token, [(f"photo {i:02d}", data, "image/jpeg") for i, data in enumerate(photos)], timeout_s)


class Settler:
    """Knows when a gallery view has finished loading, by conditions only (no fixed wait).

    Counts the page's rendition requests (Playwright's request events: started, finished, failed).
    The view is settled when the gallery lists its cards, no rendition request is in flight, every
    ``<img>`` that chose a source (``currentSrc``, set once the browser decided to load it; a lazy image
    out of range has none) is complete, and two animation frames passed without a new request (the
    frames in which a layout change would let more lazy images start)."""

    FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"
    GALLERY = """n => document.querySelector('#gallery').getAttribute('aria-busy') === 'false'
        && document.querySelectorAll('#gallery .card').length >= n"""
    IMAGES = """() => [...document.querySelectorAll('#gallery .card img')]
        .every(i => !i.currentSrc || (i.complete && i.naturalWidth > 0))"""

    def __init__(self, page: Any, prefix: str) -> None:
        self.started = self.ended = 0
        self._lock = threading.Lock()

        def count(attribute: str) -> Callable[[Any], None]:
            def on_event(request: Any) -> None:
                if prefix in request.url:
                    with self._lock:
                        setattr(self, attribute, getattr(self, attribute) + 1)

            return on_event

        page.on("request", count("started"))
        page.on("requestfinished", count("ended"))
        page.on("requestfailed", count("ended"))

    def wait(self, page: Any, expected: int, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while not page.evaluate(self.GALLERY, expected):
            if time.monotonic() > deadline:
                # Seen once under `make test-stress`: after a reload the server logged no request
                # at all for 60 s. Every thread's stack (the in-process stack's server threads
                # among them) says where a request hangs, if one does.
                faulthandler.dump_traceback(all_threads=True)
                state = page.evaluate(
                    "() => [document.querySelector('#gallery')?.getAttribute('aria-busy'),"
                    " document.querySelectorAll('#gallery .card').length,"
                    " document.querySelector('#gallery-summary')?.textContent]"
                )
                raise RuntimeError(
                    f"the gallery did not list its cards: aria-busy, cards, summary = {state}; "
                    f"browser requests started {self.started}, ended {self.ended}"
                )
            page.wait_for_timeout(50)  # a poll interval between checks, not a wait for an outcome
        while True:
            with self._lock:
                before = self.started
            page.evaluate(self.FRAMES)
            with self._lock:
                quiet = self.started == before and self.started == self.ended
            if quiet and page.evaluate(self.IMAGES):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the gallery did not settle ({self.started} started, {self.ended} ended)")
            page.wait_for_timeout(50)


# What each card's <img> drew. ``natural`` is naturalWidth, which for a srcset candidate is density-
# corrected (a 480w candidate under sizes="172px" reports 172, whatever it holds); ``pixels`` is
# the decoded image's own width, read from a probe <img> without srcset on the same URL (the
# browser's memory cache answers it).
CARD_PIXELS = """async () => {
    const cards = await Promise.all([...document.querySelectorAll('#gallery .card img')].map(async (i) => {
        let pixels = 0;
        if (i.currentSrc && i.complete && i.naturalWidth > 0) {
            const probe = new Image();
            probe.src = i.currentSrc;
            try { await probe.decode(); pixels = probe.naturalWidth; } catch { pixels = 0; }
        }
        return {src: i.currentSrc, loaded: i.complete && i.naturalWidth > 0, natural: i.naturalWidth, pixels,
                box: i.clientWidth, boxHeight: i.clientHeight, srcset: i.hasAttribute('srcset'), sizes: i.sizes};
    }));
    return {dpr: devicePixelRatio, cards};
}"""


@dataclass
class GalleryViews:
    first: ViewCount
    reload: ViewCount
    thumbnails: list[tuple[str | None, str | None, str | None]]  # width, height, loading of each <img>
    cards: list[dict[str, Any]] = field(default_factory=list)  # what each card's <img> drew (CARD_PIXELS)
    dpr: float = 1.0

    @property
    def sized_lazy_thumbnails(self) -> int:
        return sum(1 for width, height, loading in self.thumbnails if width and height and loading == "lazy")

    @property
    def underdrawn(self) -> list[dict[str, Any]]:
        """Loaded cards drawn from fewer pixels than their CSS box x device pixel ratio."""
        return [c for c in self.cards if c["loaded"] and c["pixels"] < c["box"] * self.dpr]

    def as_dict(self) -> dict[str, Any]:
        return {
            "first": self.first.as_dict(),
            "reload": self.reload.as_dict(),
            "thumbnails": len(self.thumbnails),
            "sized_lazy_thumbnails": self.sized_lazy_thumbnails,
            "dpr": self.dpr,
            "cards_loaded": sum(1 for c in self.cards if c["loaded"]),
            "underdrawn": len(self.underdrawn),
            "card_pixels": [(c["pixels"], c["box"]) for c in self.cards],
        }


def measure_views(
    gateway: Any,
    browser: Any,
    api_url: str,
    user: str,
    expected: int,
    *,
    device_scale_factor: float = 1,
    headers: dict[str, str] | None = None,
    reload: bool = True,
) -> GalleryViews:
    """Opens the page as ``user`` in a fresh browser context (empty cache): first view, then a
    reload. ``gateway`` is the stack's gateway server (its ``app`` is wrapped while measuring);
    ``headers`` are sent with every request (e.g. another ``Accept``)."""
    counter = CountingMiddleware(gateway.app)
    gateway.app = counter
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, device_scale_factor=device_scale_factor, extra_http_headers=headers
    )
    try:
        # Sign in as ``user`` before the page's scripts run, so its first list is this user's.
        context.add_init_script(f"localStorage.setItem({USER_KEY!r}, {user!r})")
        page = context.new_page()
        settler = Settler(page, CDN_PREFIX)
        page.goto(api_url + "/")
        settler.wait(page, expected)
        first = counter.take()
        drawn = page.evaluate(CARD_PIXELS)
        counter.take()  # the probes' requests, if the memory cache missed one: neither view's
        again = ViewCount()
        if reload:
            page.reload()
            settler.wait(page, expected)
            again = counter.take()
        thumbs = page.evaluate(
            "[...document.querySelectorAll('#gallery .card img')].map(i => [i.getAttribute('width'), "
            "i.getAttribute('height'), i.getAttribute('loading')])"
        )
    finally:
        context.close()
        gateway.app = counter.app
    return GalleryViews(first, again, [tuple(t) for t in thumbs], drawn["cards"], float(drawn["dpr"]))


CARDS = 24  # one gallery page of the web page (web/js/gallery.js PAGE_SIZE)
CHROMIUM = "/usr/bin/chromium"
SRCSET_FIELD = re.compile(r',"srcset":\[[^\]]*\]')
# Measured on main before issue 20 (commit c85ddb0), these 24 photos, this middleware (docs/performance.md).
MAIN_FIRST_VIEW = {"rendition_bytes": 174_158, "api_bytes": 61_055}


def todays_first_view(gateway: Any, api_url: str, token: str, count: int = CARDS) -> tuple[int, int]:
    """(rendition bytes, API bytes) of a first view of the page before issue 20, on the images the
    stack holds now: the list as that API sent it (no srcset, not compressed), /health, and each
    card's thumbnail (the renditions that exist today are still embedded), through this middleware."""
    counter = CountingMiddleware(gateway.app)
    gateway.app = counter
    try:
        headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
        listed = requests.get(f"{api_url}/images?limit={count}", headers=headers, timeout=30)
        requests.get(f"{api_url}/health", timeout=30).raise_for_status()
        for image in listed.json()["items"]:
            requests.get(image["renditions"]["thumbnail"]["url"], timeout=30).raise_for_status()
        view = counter.take()
    finally:
        gateway.app = counter.app
    if view.rendition_requests != count or "Content-Encoding" in listed.headers:
        raise RuntimeError(f"today's view did not come out as today's page fetched it: {view.as_dict()}")
    srcsets = sum(len(field) for field in SRCSET_FIELD.findall(listed.text))
    return view.rendition_bytes, sum(hit.bytes for hit in view.api) - srcsets


def run() -> tuple[list[Any], dict[str, Any]]:
    """Rows for ``bench/delivery.py``: requests and bytes per gallery view, first view and reload,
    in Chromium against a local stack (DELIVERY_MODE=cdn, the template's default) holding ``CARDS``
    ready camera-like photos (bench/photos.py), at device pixel ratio 1 and 2, and for a browser
    that accepts neither AVIF nor WebP. Today's first view (the page before issue 20: 256 px
    thumbnail JPEGs and an uncompressed list without srcset) is measured again on the same photos.
    Before issue 12 a view was 25 API requests (+ /health) and 24 S3 GETs, the same again on every
    reload (new presigned URLs defeat the browser's cache)."""
    import logging
    import tempfile
    from pathlib import Path

    from bench.common import ROOT, Row

    section = "8 delivery"
    if not Path(CHROMIUM).exists():
        return [Row(section, "gallery view", None, "", "report", None, note=f"{CHROMIUM} missing")], {}
    from playwright.sync_api import sync_playwright

    from local.stack import LocalStack

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    user = "bench-gallery"
    with (
        tempfile.TemporaryDirectory(
            dir=ROOT / "bench" / ".work" if (ROOT / "bench" / ".work").is_dir() else None
        ) as state,
        LocalStack(
            port=0, moto_port=0, state_dir=Path(state), visibility_timeout=2, name_prefix="bench-gallery"
        ) as stack,
    ):
        seed_photos(stack.api_url, stack.token(user), CARDS)
        today, today_api = todays_first_view(stack._gateway, stack.api_url, stack.token(user))
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            try:
                views = measure_views(stack._gateway, browser, stack.api_url, user, CARDS)
                dpr2 = measure_views(stack._gateway, browser, stack.api_url, user, CARDS, device_scale_factor=2)
                plain = measure_views(
                    stack._gateway,
                    browser,
                    stack.api_url,
                    user,
                    CARDS,
                    headers={"Accept": "image/jpeg,*/*;q=0.5"},
                    reload=False,
                )
            finally:
                browser.close()
    first, again = views.first, views.reload
    api_bytes = sum(hit.bytes for hit in first.api)
    total, today_total = first.rendition_bytes + api_bytes, today + today_api
    rows = [
        Row(
            section,
            f"gallery view ({CARDS} photos): API requests, first view",
            first.api_requests,
            "",
            "<= 2 (was 26)",
            first.api_requests <= 2,
        ),
        Row(
            section,
            "gallery first view: rendition bytes, today's page on the same photos",
            f"{first.rendition_bytes} B vs {today} B (x{first.rendition_bytes / today:.2f})",
            "",
            "<= x0.6",
            first.rendition_bytes <= 0.6 * today,
            f"{first.rendition_requests} requests, {', '.join(sorted({h.content_type for h in first.renditions}))}",
        ),
        Row(
            section,
            "gallery first view: API + rendition bytes, today's page on the same photos",
            f"{total} B vs {today_total} B (x{total / today_total:.2f})",
            "",
            "<= x0.6",
            total <= 0.6 * today_total,
            f"API {api_bytes} B (gzip) vs {today_api} B",
        ),
        Row(
            section,
            "cards drawn from fewer pixels than box x DPR: DPR 1 | DPR 2",
            f"{len(views.underdrawn)} | {len(dpr2.underdrawn)}",
            "",
            "0 | 0",
            not views.underdrawn and not dpr2.underdrawn,
            f"DPR 2 first view {dpr2.first.rendition_bytes} B",
        ),
        Row(
            section,
            "a browser without AVIF/WebP: rendition types, bytes",
            f"{', '.join(sorted({h.content_type for h in plain.first.renditions}))}, {plain.first.rendition_bytes} B",
            "",
            "image/jpeg",
            {h.content_type for h in plain.first.renditions} == {"image/jpeg"},
        ),
        Row(section, "gallery reload: API requests", again.api_requests, "", "report (was 26)"),
        Row(
            section,
            "gallery reload: rendition bytes fetched again",
            again.rendition_bytes,
            "B",
            "= 0 (was all)",
            again.rendition_bytes == 0,
        ),
        Row(
            section,
            "gallery reload: server-side requests (API + CDN)",
            again.server_requests,
            "",
            "<= 2 (was 50)",
            again.server_requests <= 2,
        ),
        Row(
            section,
            "thumbnails with width/height and loading=lazy",
            f"{views.sized_lazy_thumbnails}/{len(views.thumbnails)}",
            "",
            "all",
            views.sized_lazy_thumbnails == len(views.thumbnails) > 0,
        ),
    ]
    details = {
        "gallery": views.as_dict(),
        "gallery_dpr2": dpr2.as_dict(),
        "gallery_jpeg_client": plain.as_dict(),
        "today": {"rendition_bytes": today, "api_bytes": today_api, "measured_on_main": MAIN_FIRST_VIEW},
    }
    return rows, details
