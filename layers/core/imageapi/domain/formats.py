"""The one table of image formats: Pillow name, magic-byte check, file extensions, MIME type, and
whether we encode it. Sniffing, ingest, downloads, the upload checks and the web page (through
``/health``'s limits) all read it; a new format is one entry here (SPEC §4)."""

from collections.abc import Callable
from dataclasses import dataclass

# "BM" alone is too weak (any text starting with BM); also require a known DIB header size.
_BMP_HEADER_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF


def _is_bmp(head: bytes) -> bool:
    return head[:2] == b"BM" and len(head) >= 18 and int.from_bytes(head[14:18], "little") in _BMP_HEADER_SIZES


@dataclass(frozen=True)
class ImageFormat:
    name: str  # Pillow's format name
    mime: str
    extensions: tuple[str, ...]  # the first one names downloads
    magic: Callable[[bytes], bool]  # True when the first 32 bytes announce this format
    output: bool = False  # we also encode it (renditions, ?format=)

    @property
    def extension(self) -> str:
        return self.extensions[0]


FORMATS: tuple[ImageFormat, ...] = (
    ImageFormat("JPEG", "image/jpeg", ("jpg", "jpeg"), lambda h: h.startswith(b"\xff\xd8\xff"), output=True),
    ImageFormat("PNG", "image/png", ("png",), lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"), output=True),
    ImageFormat("WEBP", "image/webp", ("webp",), lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP", output=True),
    ImageFormat("GIF", "image/gif", ("gif",), lambda h: h[:6] in (b"GIF87a", b"GIF89a")),
    ImageFormat("BMP", "image/bmp", ("bmp",), _is_bmp),
    # classic and BigTIFF
    ImageFormat(
        "TIFF", "image/tiff", ("tiff", "tif"), lambda h: h[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
    ),
)
BY_NAME: dict[str, ImageFormat] = {f.name: f for f in FORMATS}
BY_MIME: dict[str, ImageFormat] = {f.mime: f for f in FORMATS}
# Pillow format name -> MIME type, and the MIME types ingest accepts.
ALLOWED_FORMATS: dict[str, str] = {f.name: f.mime for f in FORMATS}
ALLOWED_CONTENT_TYPES: tuple[str, ...] = tuple(ALLOWED_FORMATS.values())
# ?format= spellings -> the Pillow format we encode.
OUTPUT_FORMATS: dict[str, str] = {ext: f.name for f in FORMATS if f.output for ext in f.extensions}


def sniff(head: bytes) -> str | None:
    """The Pillow format name the magic bytes announce, or None for anything else.

    Pass at least the first 32 bytes. Only the allowed rasters are recognised; SVG, HTML, XML,
    text, PDF, ZIP and everything else answer None.
    """
    return next((f.name for f in FORMATS if f.magic(head)), None)


def extension_for(mime: str) -> str:
    """The file extension a download of this MIME type gets ("bin" for anything unknown)."""
    known = BY_MIME.get(mime)
    return known.extension if known else "bin"


def extension_types() -> dict[str, str]:
    """Every accepted extension -> its MIME type (what the web page checks a picked file against)."""
    return {ext: f.mime for f in FORMATS for ext in f.extensions}
