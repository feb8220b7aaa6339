"""The render function's use case (issue 20): the CDN's fallback origin renders one edge object
on its first miss, stores it under its key, and answers its bytes.

A request reaches this only through the CDN: signed for this image's prefix, checked by the
viewer-request function (allow-listed width and quality, one format class) and missed in the
bucket. It is checked again here (a bad key is a 400, an image that is gone or a version that is
no longer the image's is a 404), because the function URL is an origin of its own.

What is encoded for a format class: the class itself (AVIF, WebP, JPEG), except that animations
stay animated (WebP for avif and webp, GIF for jpeg; never a still AVIF) and transparency stays
(the jpeg class answers PNG for an image with alpha; the renderer decides from the pixels).

Two answers are not the stored object:

- an AVIF larger than ``avif_miss_max_pixels`` would make the first viewer wait for the encoder
  (make bench, section edge). That miss answers WebP with ``Cache-Control: no-store`` (so no cache
  ever keeps WebP under the avif key) and asks ``fill`` to store the AVIF for the next request;
- an object over ``max_inline_bytes`` is stored and answered with a 302 to a presigned GET of it
  (a function URL's answer is at most 6 MB, base64 included).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Protocol

from imageapi.domain import keys
from imageapi.domain.edge import EdgeObject, Geometry, edge_version, parse_object_key, shape_of
from imageapi.domain.errors import problem
from imageapi.domain.models import ImageRecord, ImageStatus
from imageapi.domain.ports import ImageRepository, ObjectStore, RenderedImage
from imageapi.settings import Settings

# A function URL answers at most 6 MB of JSON; the body is base64 (4/3): 4.7 MB is 6.27 MB of
# base64, within 6 MiB (6 291 456 bytes) with room for the headers.
MAX_INLINE_BYTES = 4_700_000
PROBLEM = "application/problem+json"
FILL_EVENT_KEY = "edge_fill"  # {"edge_fill": "<object key>"}: the render function's own async invoke


@dataclass(frozen=True)
class EdgeAnswer:
    status: int
    headers: dict[str, str]
    body: bytes = b""


class EdgeRenderer(Protocol):
    """Renders the original to one geometry in one format at one quality level (the pixels port)."""

    def render_edge(
        self, data: bytes, *, geometry: Geometry, format: str, quality: str, fast: bool = False
    ) -> RenderedImage: ...


class EdgeFill(Protocol):
    """Stores the object under ``key`` later, outside this request (an asynchronous invoke)."""

    def __call__(self, key: str) -> None: ...


def encoding_for(fmt_class: str, record: ImageRecord) -> str:
    """The format requested from the renderer for a format class ("jpeg" may still come back PNG)."""
    if record.analysis is not None and record.analysis.animated:
        return "gif" if fmt_class == "jpeg" else "webp"
    return fmt_class


def _refusal(status: int, slug: str, title: str, detail: str) -> EdgeAnswer:
    body = problem(status, title, detail, slug)
    return EdgeAnswer(status, {"Content-Type": PROBLEM, "Cache-Control": "no-store"}, json.dumps(body).encode())


GONE = _refusal(404, "not-found", "Not found", "no such image (deleted, or not ready)")


@dataclass
class EdgeRenderService:
    repository: ImageRepository
    store: ObjectStore
    renderer: EdgeRenderer
    settings: Settings  # edge_widths, edge_avif_miss_max_pixels, edge_redirect_ttl_seconds
    fill: EdgeFill | None = None  # None: AVIF is always encoded on the miss itself
    max_inline_bytes: int = MAX_INLINE_BYTES

    def answer(self, key: str, *, format_header: str | None = None) -> EdgeAnswer:
        """The answer to a miss for ``key`` (the rewritten request path without its leading "/")."""
        found = self._resolve(key, format_header)
        if isinstance(found, EdgeAnswer):
            return found
        obj, record = found
        shape = shape_of(record)
        geometry = shape.geometry(obj.width)
        encoding = encoding_for(obj.fmt, record)
        pixels = geometry.width * shape.height_at(obj.width)
        original = self.store.get(keys.original_key(record.owner, record.id))
        if original is None:  # deleted while we looked
            return GONE
        if encoding == "avif" and self.fill is not None and pixels > self.settings.edge_avif_miss_max_pixels:
            stand_in = self.renderer.render_edge(
                original, geometry=geometry, format="webp", quality=obj.quality, fast=True
            )
            self.fill(obj.key)  # the AVIF is stored for the next request
            return self._bytes(stand_in, cache="no-store")  # never kept under the avif key
        rendered = self.renderer.render_edge(original, geometry=geometry, format=encoding, quality=obj.quality)
        if not self._store(obj, record, rendered):
            return GONE
        if len(rendered.data) > self.max_inline_bytes:
            url = self.store.presigned_get(
                obj.key, self.settings.edge_redirect_ttl_seconds, content_type=rendered.content_type, inline=True
            )
            return EdgeAnswer(302, {"Location": url, "Cache-Control": "no-store", "Vary": "Accept"})
        return self._bytes(rendered)

    def fill_object(self, key: str) -> bool:
        """Renders and stores ``key`` unless it exists already (the asynchronous half of an AVIF
        miss). True when it stored it."""
        found = self._resolve(key, None)
        if isinstance(found, EdgeAnswer) or self.store.content_type(key) is not None:
            return False
        obj, record = found
        original = self.store.get(keys.original_key(record.owner, record.id))
        if original is None:
            return False
        geometry = shape_of(record).geometry(obj.width)
        encoding = encoding_for(obj.fmt, record)
        return self._store(
            obj, record, self.renderer.render_edge(original, geometry=geometry, format=encoding, quality=obj.quality)
        )

    # ------------------------------------------------------------------ steps

    def _resolve(self, key: str, format_header: str | None) -> tuple[EdgeObject, ImageRecord] | EdgeAnswer:
        obj = parse_object_key(key)
        if obj is None or (format_header is not None and format_header != obj.fmt):
            return _refusal(400, "edge-path", "Malformed request", "not an edge rendition key")
        if obj.width not in self.settings.edge_widths:
            return _refusal(400, "edge-width", "Malformed request", f"width {obj.width} is not offered")
        owner = obj.owner()
        record = self.repository.get(owner, obj.image_id) if owner else None
        if record is None or record.status is not ImageStatus.ready:
            return GONE
        if edge_version(record) != obj.version:
            return _refusal(
                404, "not-found", "Not found", "this version of the image is no longer served; read its srcset again"
            )
        return obj, record

    def _store(self, obj: EdgeObject, record: ImageRecord, rendered: RenderedImage) -> bool:
        self.store.put(obj.key, rendered.data, rendered.content_type)
        if self.repository.get(record.owner, record.id) is None:  # deleted while we rendered
            self.store.delete(obj.key)
            return False
        return True

    @staticmethod
    def _bytes(rendered: RenderedImage, cache: str | None = None) -> EdgeAnswer:
        headers = {
            "Content-Type": rendered.content_type,
            "ETag": f'"{hashlib.md5(rendered.data, usedforsecurity=False).hexdigest()}"',  # S3's ETag of a PUT
            "Vary": "Accept",
            "X-Content-Type-Options": "nosniff",
        }
        if cache:
            headers["Cache-Control"] = cache
        return EdgeAnswer(200, headers, rendered.data)
