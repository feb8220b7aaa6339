"""The one table of image formats: Pillow name, magic-byte check, file extensions, MIME type, and
whether we encode it. Sniffing, ingest, downloads, the upload checks and the web page (through
``/health``'s limits) all read it; a new format is one entry here (SPEC §4)."""

import re
from collections.abc import Callable
from dataclasses import dataclass

# "BM" alone is too weak (any text starting with BM); also require a known DIB header size.
_BMP_HEADER_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF


# ISO-BMFF (HEIF family) brands in the leading ``ftyp`` box: AVIF still/sequence, and HEIC/HEIF.
AVIF_BRANDS = frozenset({b"avif", b"avis"})
HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"})
# Why HEIC can be off: the operator deployed without the HEIC layer (template EnableHeic=false).
HEIC_DISABLED = (
    "HEIC/HEIF is not enabled on this deployment (the operator left out the HEIC decoder layer, "
    "libheif/libde265); convert the photo to JPEG or AVIF and upload it again"
)


def ftyp_brands(head: bytes) -> set[bytes]:
    """Major and compatible brands of a leading ``ftyp`` box (as far as ``head`` reaches)."""
    if len(head) < 12 or head[4:8] != b"ftyp":
        return set()
    size = int.from_bytes(head[:4], "big")
    if size < 16:
        return set()
    end = min(size, len(head))
    return {head[8:12]} | {head[i : i + 4] for i in range(16, end - 3, 4)}


def _is_avif(head: bytes) -> bool:
    return bool(ftyp_brands(head) & AVIF_BRANDS)


def _is_heif(head: bytes) -> bool:
    brands = ftyp_brands(head)
    return not brands & AVIF_BRANDS and bool(brands & HEIF_BRANDS)


def _is_bmp(head: bytes) -> bool:
    return head[:2] == b"BM" and len(head) >= 18 and int.from_bytes(head[14:18], "little") in _BMP_HEADER_SIZES


@dataclass(frozen=True)
class ImageFormat:
    name: str  # Pillow's format name
    mime: str
    extensions: tuple[str, ...]  # the first one names downloads
    magic: Callable[[bytes], bool]  # True when the first 32 bytes announce this format
    output: bool = False  # we also encode it (renditions, ?format=)
    switch: str | None = None  # the setting that turns it on (None: always on)

    @property
    def extension(self) -> str:
        return self.extensions[0]


FORMATS: tuple[ImageFormat, ...] = (
    ImageFormat("JPEG", "image/jpeg", ("jpg", "jpeg"), lambda h: h.startswith(b"\xff\xd8\xff"), output=True),
    ImageFormat("PNG", "image/png", ("png",), lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"), output=True),
    ImageFormat("WEBP", "image/webp", ("webp",), lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP", output=True),
    ImageFormat("GIF", "image/gif", ("gif",), lambda h: h[:6] in (b"GIF87a", b"GIF89a"), output=True),
    ImageFormat("BMP", "image/bmp", ("bmp",), _is_bmp),
    # classic and BigTIFF
    ImageFormat(
        "TIFF", "image/tiff", ("tiff", "tif"), lambda h: h[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
    ),
    ImageFormat("AVIF", "image/avif", ("avif",), _is_avif, output=True),
    # Decoded by pi-heif from the HEIC layer; switchable (template EnableHeic, env HEIC_ENABLED).
    ImageFormat("HEIF", "image/heic", ("heic", "heif", "hif"), _is_heif, switch="heic"),
)
# MIME types announcing the same format (browsers say image/heif or image/heic-sequence too).
ALIASES: dict[str, str] = {
    "image/heif": "image/heic",
    "image/heic-sequence": "image/heic",
    "image/heif-sequence": "image/heic",
}
BY_NAME: dict[str, ImageFormat] = {f.name: f for f in FORMATS}
BY_MIME: dict[str, ImageFormat] = {f.mime: f for f in FORMATS}
# Pillow format name -> MIME type, and the MIME types ingest accepts.
ALLOWED_FORMATS: dict[str, str] = {f.name: f.mime for f in FORMATS}
ALLOWED_CONTENT_TYPES: tuple[str, ...] = (*ALLOWED_FORMATS.values(), *ALIASES)
# ?format= spellings -> the Pillow format we encode.
OUTPUT_FORMATS: dict[str, str] = {ext: f.name for f in FORMATS if f.output for ext in f.extensions}


# ?format=auto: the best the request's Accept header allows, in this order; JPEG always works.
AUTO_ORDER: tuple[str, ...] = ("avif", "webp")


# RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ). An entry whose
# weight is not one of these does not count. The grammar, not a float parser, decides: the CDN's
# viewer-request function (JavaScript's parseFloat accepts "0.5abc") must agree with this exactly.
QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")  # fullmatch: "$" would let "1\n" in


def negotiate(accept: str | None) -> str:
    """The ``?format=`` value ``auto`` stands for under this ``Accept`` header (SPEC §3.5), and the
    format class the CDN serves (``infra/edge/viewer-request.js`` does the same in JavaScript).

    A type counts when listed with a non-zero q (``image/avif;q=0`` refuses it); wildcards
    (``*/*``, ``image/*``) do not, since browsers send them for formats they cannot show.
    """
    allowed: set[str] = set()
    for part in (accept or "").lower().split(","):
        mime, *params = (p.strip(" \t") for p in part.split(";"))  # OWS: spaces and tabs
        weights = [p[2:] for p in params if p.startswith("q=")]
        q = weights[0] if weights else "1"
        if QVALUE.fullmatch(q) and float(q) > 0:
            allowed.add(mime)
    return next((fmt for fmt in AUTO_ORDER if f"image/{fmt}" in allowed), "jpeg")


def enabled(fmt: ImageFormat, *, heic: bool) -> bool:
    return fmt.switch is None or (fmt.switch == "heic" and heic)


def refusal(name: str | None, *, heic: bool) -> str | None:
    """Why a sniffed (or declared) format is refused on this deployment, or None if accepted."""
    known = BY_NAME.get(name or "") or BY_MIME.get(ALIASES.get(name or "", name or ""))
    if known is not None and not enabled(known, heic=heic):
        return HEIC_DISABLED
    return None


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


def extension_types(*, heic: bool = True) -> dict[str, str]:
    """Every accepted extension -> its MIME type (what the web page checks a picked file against)."""
    return {ext: f.mime for f in FORMATS if enabled(f, heic=heic) for ext in f.extensions}
