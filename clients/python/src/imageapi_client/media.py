"""What kind of file a path holds, and the title a file gets: the client's side of the service's
format registry (layers/core/imageapi/domain/formats.py). The service has the last word: it sniffs
the bytes at ingest and refuses what it does not accept (HEIC where it is switched off: 415)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

MAX_TITLE = 200

EXTENSIONS: dict[str, str] = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "avif": "image/avif",
    "heic": "image/heic",
    "heif": "image/heic",
    "hif": "image/heic",
}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}


def sniff(head: bytes) -> str | None:
    """The MIME type the first bytes announce (the formats the service accepts), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "image/tiff"
    if head[:2] == b"BM" and len(head) >= 18 and int.from_bytes(head[14:18], "little") in {12, 40, 52, 56, 108, 124}:
        return "image/bmp"
    if head[4:8] == b"ftyp":
        brands = {head[8:12]} | {head[i : i + 4] for i in range(16, min(len(head), 64) - 3, 4)}
        if brands & {b"avif", b"avis"}:
            return "image/avif"
        if brands & _HEIF_BRANDS:
            return "image/heic"
    return None


def is_image_name(path: Path) -> bool:
    return path.suffix.lower().lstrip(".") in EXTENSIONS


def content_type_of(path: Path) -> str | None:
    """The type to declare for ``path``: from its extension, else from its first bytes; None when
    neither names an image format (OSError when the file cannot be read)."""
    by_name = EXTENSIONS.get(path.suffix.lower().lstrip("."))
    if by_name:
        return by_name
    with path.open("rb") as fh:
        return sniff(fh.read(64))


def clean_title(text: str) -> str:
    """What the web page does with a file name (web/js/util.js titleFromFilename): no control or
    format characters, underscores as spaces, whitespace collapsed, at most 200 characters."""
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf"))
    text = " ".join(text.replace("_", " ").split())
    return text[:MAX_TITLE] or "Untitled image"


def title_for(path: Path, root: Path | None, mode: str) -> str:
    """``name``: the file's name without its extension; ``path``: its path below ``root`` (the
    folder given on the command line), without the extension."""
    if mode == "path" and root is not None:
        try:
            relative = path.relative_to(root)
        except ValueError:
            relative = Path(path.name)
        return clean_title(str(relative.with_suffix("")) if relative.suffix else str(relative))
    return clean_title(path.stem if path.suffix else path.name)
