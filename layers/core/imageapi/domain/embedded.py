"""Rendition URLs embedded in the image object (SPEC §3.4, §3.10): for a ready image, signed URLs
of its thumbnail, display and compressed renditions that a browser uses as ``<img src>`` without
a token. Built by the injected ``RenditionSigner`` (no network call per URL)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from pydantic import Field

from imageapi.domain.base import Model
from imageapi.domain.delivery import RenditionSigner

EMBEDDED_VARIANTS = ("thumbnail", "display", "compressed")


class StoredRendition(Protocol):
    """What ``embed_renditions`` reads of a stored rendition (``models.Rendition`` is one)."""

    @property
    def key(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...


class EmbeddedRendition(Model):
    url: str = Field(description="signed, short-lived URL; GET it without an Authorization header")
    width: int
    height: int
    content_type: str
    expires_at: datetime


class SrcsetEntry(Model):
    """One width of the image at the edge (SPEC §3.4, §3.10): the CDN picks the format from Accept."""

    width: int = Field(description="the pixel width of this candidate (its srcset descriptor: `<url> <width>w`)")
    url: str = Field(
        description="signed, short-lived CDN URL; GET it without an Authorization header. Every width of one "
        "image shares one signature (a policy over the image's own path prefix)"
    )
    expires_at: datetime


class EmbeddedRenditions(Model):
    thumbnail: EmbeddedRendition | None = None
    display: EmbeddedRendition | None = None
    compressed: EmbeddedRendition | None = None


def embed_renditions(
    renditions: Mapping[str, StoredRendition], version: datetime, signer: RenditionSigner
) -> EmbeddedRenditions | None:
    """Signed URLs for the standard renditions a record holds. ``version`` (the record's
    ``updated_at``) changes when a rendition is re-rendered under the same key, so the URL changes
    too and neither the browser nor the CDN serves the old pixels."""
    tag = str(int(version.timestamp() * 1000))
    entries: dict[str, EmbeddedRendition] = {}
    for name in EMBEDDED_VARIANTS:
        rendition = renditions.get(name)
        if rendition is None:
            continue
        signed = signer.sign(rendition.key, version=tag)
        entries[name] = EmbeddedRendition(
            url=signed.url,
            width=rendition.width,
            height=rendition.height,
            content_type=rendition.content_type,
            expires_at=signed.expires_at,
        )
    return EmbeddedRenditions(**entries) if entries else None
