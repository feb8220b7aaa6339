"""Renditions at the edge (SPEC §3.10, issue 20): every allow-listed width in the best format the
viewer accepts, rendered on the CDN's first miss and stored.

The URL a browser uses names the image, a width and a quality level, never a format:

    /renditions/{owner}/{id}/edge/{width}[-{quality}]?v={version}&Policy=…&Signature=…&Key-Pair-Id=…

The viewer-request function (``edge_request``; in AWS its JavaScript twin) checks the width and
quality against the allow-lists, reduces ``Accept`` to one format class (avif, webp or jpeg) and
rewrites the request to the object key below, which is also the CDN's cache key:

    renditions/{owner}/{id}/edge/{version}/{width}_{quality}_{class}

Everything of one image lives under ``renditions/{owner}/{id}/`` (the trash, restore and the
permanent delete cover it), and one signature over that prefix (a custom policy ending in
``/*``) serves every width and format of that image and of no other.

``version`` names the pixels: a hash of the original's bytes, the served shape (``resize``) and
the render generation. A PATCH that changes the size is a new version, so new URLs and new keys;
a URL of the old version is answered 404 by the renderer once its objects are gone, never with
the new pixels. A title change keeps the version (and every cached rendition).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import Literal

from imageapi.domain import keys
from imageapi.domain.delivery import PrefixSigner
from imageapi.domain.embedded import SrcsetEntry
from imageapi.domain.ids import ID_PATTERN
from imageapi.domain.models import Fit, ImageRecord, ImageStatus

QUALITIES = ("low", "default", "high")
FormatClass = Literal["avif", "webp", "jpeg"]
FORMAT_CLASSES: tuple[FormatClass, ...] = ("avif", "webp", "jpeg")
SEGMENT = "edge"
# Bump when the renderer's output changes (tunables, encoder): every version, so every URL and
# cache key, changes with it and the CDN never mixes old and new renders.
RENDER_GENERATION = 1
# Matched with fullmatch (as JavaScript's /^…$/ does): Python's "$" also matches before a final "\n".
VERSION_PATTERN = re.compile(r"[0-9a-z]{1,32}")
_KEY = re.compile(
    r"renditions/(?P<owner>[A-Za-z0-9_-]{1,512})/(?P<id>[0-9A-HJKMNP-TV-Z]{26})/edge/"
    r"(?P<version>[0-9a-z]{1,32})/(?P<width>[1-9][0-9]{0,3})_(?P<quality>low|default|high)_(?P<fmt>avif|webp|jpeg)"
)


def round_up(width: int, allowed: tuple[int, ...]) -> int | None:
    """The allow-listed width a request for ``width`` pixels uses (the smallest not below it);
    None above the largest. What a next/image loader does with its device and image sizes."""
    return next((w for w in allowed if w >= width), None)


# ---------------------------------------------------------------- the shape and its widths


@dataclass(frozen=True)
class Geometry:
    """What the renderer makes for one URL width: ``width`` x ``height`` by ``fit`` (SPEC §3.2 fits)."""

    width: int
    height: int | None  # None: follows the original's aspect ratio
    fit: Fit


@dataclass(frozen=True)
class Shape:
    """The served image's shape, which every edge width scales: the original's aspect ratio, or
    the box of a ``cover``/``fill`` resize (SPEC §3.2), at most ``full_width`` pixels wide."""

    full_width: int
    full_height: int
    fit: Fit  # inside (aspect of the original), cover (cropped) or fill (stretched)

    def geometry(self, width: int) -> Geometry:
        actual = min(width, self.full_width)  # never upscaled: a wider URL gets the full width
        if self.fit is Fit.inside:
            return Geometry(actual, None, Fit.inside)
        return Geometry(actual, max(1, round(actual * self.full_height / self.full_width)), self.fit)

    def height_at(self, width: int) -> int:
        actual = min(width, self.full_width)
        return max(1, round(actual * self.full_height / self.full_width))


def oriented_size(record: ImageRecord) -> tuple[int, int]:
    assert record.original is not None, "ready records know their original's size"
    width, height = record.original.width, record.original.height
    orientation = record.analysis.orientation if record.analysis else 1
    return (height, width) if orientation >= 5 else (width, height)  # EXIF 5..8 swap the axes


def shape_of(record: ImageRecord) -> Shape:
    width, height = oriented_size(record)
    resize = record.resize
    if resize is None or resize.width is None or resize.height is None or resize.fit in (Fit.contain, Fit.inside):
        return Shape(width, height, Fit.inside)
    box_w, box_h = resize.width, resize.height
    if resize.fit is Fit.cover:  # the largest box-shaped crop of the original
        crop_w = min(width, max(1, round(height * box_w / box_h)))
        return Shape(crop_w, max(1, round(crop_w * box_h / box_w)), Fit.cover)
    return Shape(width, max(1, round(width * box_h / box_w)), Fit.fill)


def srcset_widths(shape: Shape, allowed: tuple[int, ...]) -> list[tuple[int, int]]:
    """(URL width, actual width) for every allowed width below the shape's full width, and the
    first one at or above it, which renders the full width (so the largest entry is never an
    upscale and its descriptor is honest)."""
    entries = [(w, w) for w in allowed if w < shape.full_width]
    wider = round_up(shape.full_width, allowed)
    if wider is not None:
        entries.append((wider, shape.full_width))
    return entries


def build_srcset(record: ImageRecord, signer: PrefixSigner, widths: tuple[int, ...]) -> list[SrcsetEntry] | None:
    """The ``srcset`` of a ready image: one signature over its prefix, one URL per width."""
    if record.status is not ImageStatus.ready or record.original is None or not record.sha256:
        return None
    signed = signer.sign_prefix(image_prefix(record.owner, record.id))
    version = edge_version(record)
    return [
        SrcsetEntry(
            width=actual,
            url=signed.url(viewer_path(record.owner, record.id, width), version),
            expires_at=signed.expires_at,
        )
        for width, actual in srcset_widths(shape_of(record), widths)
    ]


def edge_version(record: ImageRecord) -> str:
    """The pixels' version: original bytes, served shape, render generation (base32, 65 bits)."""
    resize = record.resize.model_dump_json() if record.resize else "-"
    text = f"{RENDER_GENERATION}|{record.sha256}|{resize}".encode()
    return base64.b32encode(hashlib.sha256(text).digest()).decode().lower()[:13]


# ---------------------------------------------------------------- paths and keys


def image_prefix(owner: str, image_id: str) -> str:
    """What one signature covers: ``renditions/{owner}/{id}/`` (the slash keeps id1 from id10)."""
    return f"{keys.RENDITIONS}/{keys.encode_owner(owner)}/{image_id}/"


def viewer_path(owner: str, image_id: str, width: int, quality: str = "default") -> str:
    suffix = "" if quality == "default" else f"-{quality}"
    return f"{image_prefix(owner, image_id)}{SEGMENT}/{width}{suffix}"


def version_prefix(owner: str, image_id: str, version: str) -> str:
    """Every stored edge object of one version of one image."""
    return f"{image_prefix(owner, image_id)}{SEGMENT}/{version}/"


def object_key(owner_token: str, image_id: str, version: str, width: int, quality: str, fmt: str) -> str:
    return f"{keys.RENDITIONS}/{owner_token}/{image_id}/{SEGMENT}/{version}/{width}_{quality}_{fmt}"


@dataclass(frozen=True)
class EdgeObject:
    """A parsed edge object key (what the viewer-request function rewrote a request to)."""

    owner_token: str
    image_id: str
    version: str
    width: int
    quality: str
    fmt: FormatClass

    @property
    def key(self) -> str:
        return object_key(self.owner_token, self.image_id, self.version, self.width, self.quality, self.fmt)

    def owner(self) -> str | None:
        try:
            owner = keys.decode_owner(self.owner_token)
        except (ValueError, UnicodeDecodeError):
            return None
        # Only a canonical token names an owner: another spelling of the same sub is no key of ours.
        return owner if owner and keys.encode_owner(owner) == self.owner_token else None


def parse_object_key(key: str) -> EdgeObject | None:
    match = _KEY.fullmatch(key)
    if match is None or not ID_PATTERN.match(match["id"]):
        return None
    fmt: FormatClass = match["fmt"]  # type: ignore[assignment]  # the pattern allows only the three
    return EdgeObject(match["owner"], match["id"], match["version"], int(match["width"]), match["quality"], fmt)
