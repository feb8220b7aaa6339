"""Hostile and unusual files, generated on the fly (nothing binary is committed).

Each ``Case`` says what the service must conclude: ``ready`` with the analysis it must report,
or ``rejected`` with words its reason must contain. Bombs are built by hand (a tiny file that
declares huge dimensions), so building them never allocates their pixels.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from PIL import Image

from tests.harness import corpus


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[], bytes]
    declared: str  # the content type the client claims
    outcome: str  # "ready" | "rejected" | "refused" (the API refuses it before ingest)
    reason: tuple[str, ...] = ()  # words the rejection reason contains (any of them)
    analysis: dict[str, Any] = field(default_factory=dict)  # expected analysis fields when ready

    @property
    def data(self) -> bytes:
        return _bytes(self.name)


_REGISTRY: dict[str, Case] = {}


@cache
def _bytes(name: str) -> bytes:
    return _REGISTRY[name].make()


def _save(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _gradient(mode: str = "RGB", size: tuple[int, int] = (96, 64)) -> Image.Image:
    w, h = size
    image = Image.new("RGB", size)
    image.putdata([((x * 255) // w, (y * 255) // h, 128) for y in range(h) for x in range(w)])
    return image if mode == "RGB" else image.convert(mode)


# --------------------------------------------------------------------- hand-built containers


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int = 9_000, height: int = 9_000, rgb: bool = True, rows: int | None = None) -> bytes:
    """A complete, valid PNG of width x height black pixels (8-bit RGB, or 1-bit grey): a tiny
    file whose pixels would take width*height*3 bytes (9000x9000: 243 MB) once decoded."""
    depth, colour, row_bytes = (8, 2, width * 3) if rgb else (1, 0, (width + 7) // 8)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    row = b"\x00" * (1 + row_bytes)
    compressor = zlib.compressobj(9)
    chunk = row * max(1, 1_000_000 // len(row))
    per_chunk = len(chunk) // len(row)
    remaining = height if rows is None else rows
    parts = []
    while remaining > 0:
        n = min(per_chunk, remaining)
        parts.append(compressor.compress(chunk[: n * len(row)]))
        remaining -= n
    idat = b"".join(parts) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def _gif_frame(x: int, y: int, w: int, h: int, delay: int = 2) -> bytes:
    gce = b"\x21\xf9\x04\x00" + struct.pack("<H", delay) + b"\x00\x00"
    descriptor = b"\x2c" + struct.pack("<HHHH", x, y, w, h) + b"\x00"
    # LZW minimum code size 2; 'clear, 0, end' for a 1x1 frame, 'clear, end' otherwise.
    data = b"\x02\x02\x44\x01\x00" if w * h == 1 else b"\x02\x02\x4c\x01\x00"
    return gce + descriptor + data


def gif(width: int, height: int, frames: int, frame_size: tuple[int, int] = (1, 1)) -> bytes:
    header = b"GIF89a" + struct.pack("<HH", width, height) + b"\x80\x00\x00"  # global table of 2 colours
    palette = b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    body = b"".join(_gif_frame(i % max(1, width - 1), 0, *frame_size) for i in range(frames))
    return header + palette + loop + body + b"\x3b"


def jpeg_with_app1(payload: bytes) -> bytes:
    """A JPEG whose APP1 segment is ``payload`` (max 65533 bytes)."""
    base = _save(_gradient(), "JPEG", quality=80)
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return base[:2] + segment + base[2:]


def huge_exif() -> bytes:
    """An EXIF block filling a whole APP1 segment (64 KiB): a 60 KB ImageDescription plus a few
    thousand more tags, so parsing it costs something but is bounded."""
    exif = Image.Exif()
    exif[0x010E] = "A" * 60_000  # ImageDescription
    exif[0x010F] = "HostileCam"  # Make
    exif[0x0112] = 1
    data = exif.tobytes()
    return jpeg_with_app1(b"Exif\x00\x00" + data[:65_000])


def exif_rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    return _save(_gradient(size=(120, 40)), "JPEG", exif=exif.tobytes(), quality=85)


def _zip() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payload.html", "<script>alert(1)</script>")
    return archive.getvalue()


def jpeg_zip_polyglot() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payload.html", "<script>alert(1)</script>")
    return _save(_gradient(), "JPEG") + archive.getvalue()


def jpeg_zip_in_comment() -> bytes:
    """The ZIP hidden inside a JPEG COM segment near the end, offsets fixed to be valid."""
    base = _save(_gradient(), "JPEG")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.txt", "hidden")
    z = archive.getvalue()
    # Insert as the payload of a COM segment right before EOI (so the JPEG stays well-formed).
    eoi = base.rfind(b"\xff\xd9")
    return base[:eoi] + b"\xff\xfe" + struct.pack(">H", len(z) + 2) + z + base[eoi:]


def animated_webp() -> bytes:
    frames = [_gradient().rotate(angle) for angle in (0, 90, 180, 270)]
    return _save(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100, loop=0)


def palette_alpha_png() -> bytes:
    image = _gradient().convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    image.info["transparency"] = 0
    return _save(image, "PNG", transparency=0)


def png16() -> bytes:
    image = Image.new("I;16", (64, 48))
    image.putdata([(x * 1000) % 65536 for x in range(64 * 48)])
    return _save(image, "PNG")


def tiff_bomb(side: int = 8_000) -> bytes:
    """A 1x1 uncompressed TIFF whose ImageWidth/ImageLength tags are patched to side x side."""
    data = bytearray(_save(Image.new("L", (1, 1)), "TIFF"))
    assert data[:4] == b"II*\x00"
    ifd = struct.unpack_from("<I", data, 4)[0]
    for i in range(struct.unpack_from("<H", data, ifd)[0]):
        entry = ifd + 2 + 12 * i
        tag, kind = struct.unpack_from("<HH", data, entry)
        if tag in (256, 257):
            struct.pack_into("<H" if kind == 3 else "<I", data, entry + 8, side)
    return bytes(data)


def webp_bomb(side: int = 16_000) -> bytes:
    """An animated WebP whose VP8X canvas is patched to side x side."""
    data = bytearray(animated_webp())
    assert data[12:16] == b"VP8X"
    data[24:27] = (side - 1).to_bytes(3, "little")
    data[27:30] = (side - 1).to_bytes(3, "little")
    return bytes(data)


def _truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


def tiff(compression: str, mode: str = "RGB") -> bytes:
    image = _gradient(mode=mode)
    return _save(image, "TIFF", compression=compression)


# --------------------------------------------------------------------- the catalogue


def _add(case: Case) -> None:
    _REGISTRY[case.name] = case


NOT_IMAGE = ("not a supported image format",)
CORRUPT = ("truncated", "corrupt", "not a valid")
POLYGLOT = ("polyglot", "zip")
BOMB = ("pixel limit", "too many pixels", "decompression bomb")

for _case in [
    Case("zero_byte", lambda: b"", "image/jpeg", "refused"),
    Case("truncated_jpeg", lambda: _save(_gradient(), "JPEG")[:-400], "image/jpeg", "rejected", CORRUPT),
    Case("truncated_png", lambda: _truncate(_save(_gradient(), "PNG")), "image/png", "rejected", CORRUPT),
    Case("truncated_jpeg_half", lambda: _truncate(_save(_gradient(), "JPEG")), "image/jpeg", "rejected", CORRUPT),
    Case(
        "text_as_jpg",
        lambda: b"hello, I am plain text pretending to be a photo\n" * 20,
        "image/jpeg",
        "rejected",
        NOT_IMAGE,
    ),
    Case(
        "html_as_jpg",
        lambda: b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>",
        "image/jpeg",
        "rejected",
        NOT_IMAGE,
    ),
    Case("script_as_jpg", lambda: b"#!/bin/sh\nrm -rf / --no-preserve-root\n", "image/jpeg", "rejected", NOT_IMAGE),
    Case(
        "svg_plain",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
        "image/png",
        "rejected",
        NOT_IMAGE,
    ),
    Case(
        "svg_script",
        lambda: (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
            b"<script>alert(document.domain)</script></svg>"
        ),
        "image/png",
        "rejected",
        NOT_IMAGE,
    ),
    Case("png_bomb_81mp", png_bomb, "image/png", "rejected", BOMB),
    Case(
        "png_bomb_10gp",
        lambda: png_bomb(100_000, 100_000, rgb=False, rows=64),
        "image/png",
        "rejected",
        BOMB + CORRUPT,
    ),
    Case("tiff_bomb", tiff_bomb, "image/tiff", "rejected", BOMB),
    Case("webp_bomb", webp_bomb, "image/webp", "rejected", BOMB + CORRUPT),
    Case("gif_bomb", lambda: gif(60_000, 60_000, 1), "image/gif", "rejected", BOMB),
    Case(
        "gif_3000_frames",
        lambda: gif(32, 32, 3000),
        "image/gif",
        "ready",
        analysis={"format": "GIF", "animated": True, "frames": 3000, "width": 32, "height": 32},
    ),
    Case("gif_frame_bomb", lambda: gif(7000, 7000, 20), "image/gif", "rejected", ("animation has too many pixels",)),
    Case("jpeg_zip_polyglot", jpeg_zip_polyglot, "image/jpeg", "rejected", POLYGLOT),
    Case("jpeg_zip_in_comment", jpeg_zip_in_comment, "image/jpeg", "rejected", POLYGLOT),
    Case(
        "cmyk_jpeg",
        lambda: _save(_gradient("CMYK"), "JPEG"),
        "image/jpeg",
        "ready",
        analysis={"format": "JPEG", "mode": "CMYK", "width": 96, "height": 64, "has_alpha": False},
    ),
    Case("png_16bit", png16, "image/png", "ready", analysis={"format": "PNG", "width": 64, "height": 48}),
    Case(
        "palette_alpha_png",
        palette_alpha_png,
        "image/png",
        "ready",
        analysis={"format": "PNG", "mode": "P", "has_alpha": True},
    ),
    Case(
        "exif_rotated",
        exif_rotated,
        "image/jpeg",
        "ready",
        analysis={"format": "JPEG", "orientation": 6, "width": 120, "height": 40},
    ),
    Case("huge_exif", huge_exif, "image/jpeg", "ready", analysis={"format": "JPEG", "width": 96, "height": 64}),
    Case(
        "animated_webp",
        animated_webp,
        "image/webp",
        "ready",
        analysis={"format": "WEBP", "animated": True, "frames": 4},
    ),
    Case("tiff_lzw", lambda: tiff("tiff_lzw"), "image/tiff", "ready", analysis={"format": "TIFF", "width": 96}),
    Case("tiff_packbits", lambda: tiff("packbits"), "image/tiff", "ready", analysis={"format": "TIFF", "mode": "RGB"}),
    Case(
        "tiff_group4",
        lambda: tiff("group4", mode="1"),
        "image/tiff",
        "ready",
        analysis={"format": "TIFF", "mode": "1", "width": 96, "height": 64},
    ),
    Case(
        "png_declared_jpeg",
        lambda: _save(_gradient(), "PNG"),
        "image/jpeg",
        "ready",
        analysis={"format": "PNG", "mime": "image/png"},
    ),
]:
    _add(_case)

# Issue 13: AVIF and HEIC (also through URL import here), and their malformed twins.
for _case in [
    Case("avif", corpus.avif, "image/avif", "ready", analysis={"format": "AVIF", "mime": "image/avif", "width": 320}),
    Case("heic", corpus.heic, "image/heic", "ready", analysis={"format": "HEIF", "mime": "image/heic", "height": 240}),
    Case("truncated_avif", lambda: _truncate(corpus.avif()), "image/avif", "rejected", CORRUPT),
    Case("truncated_heic", lambda: _truncate(corpus.heic()), "image/heic", "rejected", CORRUPT),
    Case("avif_zip_polyglot", lambda: corpus.avif() + _zip(), "image/avif", "rejected", POLYGLOT),
    Case(
        "heic_html_polyglot",
        lambda: corpus.heic() + b"<html><script>alert(1)</script>",
        "image/heic",
        "rejected",
        POLYGLOT,
    ),
    Case(
        "mp4_as_heic", lambda: b"\0\0\0\x18ftypisom\0\0\0\0isommp41" + b"\0" * 64, "image/heic", "rejected", NOT_IMAGE
    ),
]:
    _add(_case)

CASES: list[Case] = list(_REGISTRY.values())
