"""Pixels: sniff, open under the pixel limit, analyse, render (SPEC §3.2, §3.5, §3.6, §4).

This module and ``ingest`` are the only ones that import Pillow. Everything here works on bytes
in memory and never trusts what the client declared: the format comes from magic bytes, the
size from the header (checked before any pixel is decoded), and the container structure is
walked to reject truncated files and polyglots.
"""

import hashlib
import io
import math
import re
import statistics
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import blurhash
from PIL import ExifTags, Image, ImageCms

from imageapi.errors import ImageRejected
from imageapi.models import (
    ALLOWED_FORMATS,
    MAX_SIDE,
    Analysis,
    DominantColor,
    ExifSummary,
    Fit,
    ResizeSpec,
)

# --- tunables -------------------------------------------------------------------------------

THUMBNAIL_BOX = (256, 256)
COMPRESSED_BOX = (2048, 2048)
JPEG_QUALITY = 82
WEBP_QUALITY = 82
# Animated images: we decode only the first frame, but we still refuse files whose frames add
# up to absurd totals (browsers and other consumers of the original will decode all of them).
ANIMATION_PIXEL_FACTOR = 10
# reduce() by integer factors first, then LANCZOS the last < 2x: about half the resampling time
# of 3.0 and still > 50 dB PSNR against a LANCZOS from every source pixel (make bench).
REDUCING_GAP = 2.0
LANCZOS = Image.Resampling.LANCZOS

_FULL_BOX = (0.0, 0.0, 1.0, 1.0)
# Bytes we tolerate after the end of an image: encoders sometimes pad with these.
_PADDING = b"\x00\xff\r\n\t "
# EXIF orientation -> the transposition that undoes it (same table as ImageOps.exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_OUTPUT_FORMATS = {"jpeg": "JPEG", "jpg": "JPEG", "png": "PNG", "webp": "WEBP"}
_CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@dataclass(frozen=True)
class RenderedImage:
    data: bytes
    content_type: str  # image/jpeg, image/png, image/webp
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedUpload:
    analysis: Analysis
    renditions: dict[str, RenderedImage]  # "thumbnail", "compressed", "display"


# --- sniffing -------------------------------------------------------------------------------

_BMP_HEADER_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}


def sniff(head: bytes) -> str | None:
    """The Pillow format name the magic bytes announce, or None for anything else.

    Pass at least the first 32 bytes. Only the six allowed rasters are recognised; SVG, HTML,
    XML, text, PDF, ZIP and everything else answer None.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):  # classic and BigTIFF
        return "TIFF"
    # "BM" alone is too weak (any text starting with BM); also require a known DIB header size.
    if head[:2] == b"BM" and len(head) >= 18 and int.from_bytes(head[14:18], "little") in _BMP_HEADER_SIZES:
        return "BMP"
    return None


# --- container structure: truncation and polyglots -------------------------------------------


def _truncated(fmt: str) -> ImageRejected:
    return ImageRejected(f"truncated {fmt} file")


# Inside entropy-coded data: the 0xFF that starts the next marker segment.
_SCAN_MARKER = re.compile(rb"\xff(?![\x00\xd0-\xd7\xff])")


def _jpeg_end(data: bytes, start: int) -> int:
    """Offset just past the EOI of the JPEG starting at ``start``, walking marker segments and
    entropy-coded scans (so an EOI inside an embedded EXIF thumbnail does not fool us)."""
    n, i = len(data), start + 2
    while True:
        j = data.find(b"\xff", i)  # libjpeg skips stray bytes between segments; so do we
        if j < 0:
            raise _truncated("JPEG")
        i = j
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            raise _truncated("JPEG")
        marker = data[i]
        i += 1
        if marker == 0xD9:  # EOI
            return i
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM / RSTn: no length
            continue
        if i + 2 > n:
            raise _truncated("JPEG")
        i += int.from_bytes(data[i : i + 2], "big")
        if i > n:
            raise _truncated("JPEG")
        if marker == 0xDA:  # SOS: skip entropy-coded data up to the next real marker
            # An 0xFF not followed by a stuffed 0x00, a restart marker or another fill 0xFF; a
            # compiled search instead of a Python loop over every 0xFF of the scan (10x faster).
            found = _SCAN_MARKER.search(data, i)
            if found is None or found.start() + 1 >= n:
                raise _truncated("JPEG")
            i = found.start()


def _png_end(data: bytes) -> int:
    n, i = len(data), 8
    while True:
        if i + 12 > n:
            raise _truncated("PNG")
        length = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        i += 12 + length
        if i > n:
            raise _truncated("PNG")
        if kind == b"IEND":
            return i


def _gif_end(data: bytes) -> int:
    n = len(data)

    def skip_sub_blocks(i: int) -> int:
        while True:
            if i >= n:
                raise _truncated("GIF")
            size = data[i]
            i += 1
            if size == 0:
                return i
            i += size

    if n < 13:
        raise _truncated("GIF")
    flags = data[10]
    i = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    while i < n:
        block = data[i]
        if block == 0x3B:  # trailer
            return i + 1
        if block == 0x21:  # extension: label, then sub-blocks
            i = skip_sub_blocks(i + 2)
        elif block == 0x2C:  # image descriptor, optional local colour table, LZW size, data
            if i + 11 > n:
                raise _truncated("GIF")
            flags = data[i + 9]
            i += 10 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0) + 1
            i = skip_sub_blocks(i)
        else:  # not a GIF block: the image ended here, whatever follows is trailing data
            return i
    return n  # a missing trailer byte is common and harmless


def _structure_end(data: bytes, fmt: str) -> int:
    if fmt == "JPEG":
        end = _jpeg_end(data, 0)
        # Multi-picture JPEGs (MPF/MPO: phones' depth maps, stereo pairs) are further complete
        # JPEGs concatenated after the first one; walk them too.
        while data.startswith(b"\xff\xd8\xff", end):
            end = _jpeg_end(data, end)
        return end
    if fmt == "PNG":
        return _png_end(data)
    if fmt == "GIF":
        return _gif_end(data)
    if fmt == "WEBP":
        end = 8 + int.from_bytes(data[4:8], "little")
        if end > len(data):
            raise _truncated("WebP")
        return end
    if fmt == "BMP":
        declared = int.from_bytes(data[2:6], "little")
        return declared if 26 <= declared <= len(data) else len(data)  # field is often unreliable
    return len(data)  # TIFF: IFDs and strips may live anywhere, there is no structural end


def _has_zip_directory(data: bytes) -> bool:
    """True if a ZIP end-of-central-directory record sits where unzip tools look for it: in the
    last 64 KiB + 22 bytes, with a central directory that lies before it."""
    n = len(data)
    floor = max(0, n - 65_557)
    p = data.rfind(b"PK\x05\x06", floor)
    while p >= 0:
        if p + 22 <= n:
            cd_size = int.from_bytes(data[p + 12 : p + 16], "little")
            cd_offset = int.from_bytes(data[p + 16 : p + 20], "little")
            if cd_offset + cd_size <= p:
                return True
        p = data.rfind(b"PK\x05\x06", floor, p)
    return False


def check_container(data: bytes, fmt: str) -> None:
    """Reject truncated files and polyglots, independent of Pillow.

    Detected: (1) a file that ends before its format's structural end (JPEG EOI, PNG IEND,
    GIF block structure, WebP RIFF size); (2) any bytes after that end other than padding
    (NUL/0xFF/whitespace) — for JPEG, further concatenated JPEGs (MPF) are allowed — which covers
    JPEG/PNG/GIF/WebP/BMP + appended ZIP, JAR, PDF, HTML, script, MP4...; (3) for every format,
    including TIFF which has no structural end, a ZIP end-of-central-directory record in the
    last 64 KiB (a ZIP hidden inside a comment/ancillary chunk near the end of the file).
    Not detected: payloads fully inside metadata segments of a well-formed file other than ZIP
    (they are harmless once served as an image, and renditions never copy metadata).
    """
    end = _structure_end(data, fmt)
    rest = data[end:]
    if rest.strip(_PADDING):
        if b"PK\x03\x04" in rest or b"PK\x05\x06" in rest:
            raise ImageRejected("a ZIP archive is appended to the image (polyglot)")
        raise ImageRejected("unexpected data after the end of the image (possible polyglot)")
    if _has_zip_directory(data):
        raise ImageRejected("the image contains a ZIP archive (polyglot)")


# --- opening under the pixel limit -----------------------------------------------------------


@contextmanager
def _pillow_guard(fmt: str) -> Iterator[None]:
    """Turn anything Pillow raises on hostile bytes into ImageRejected.

    Pillow's own decompression-bomb check (global MAX_IMAGE_PIXELS) is a second line behind ours:
    its warning is escalated to an error for this block only, and the global is never touched.
    (warnings.catch_warnings is process-global state; a Lambda runs one invocation at a time.)
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected("image has too many pixels (decompression bomb)") from exc
        except Exception as exc:  # any decoder failure on untrusted bytes
            raise ImageRejected(f"not a valid {fmt} image (corrupt or truncated)") from exc


def _same_format(sniffed: str, opened: str | None) -> bool:
    # A JPEG carrying an MPF index opens as Pillow's "MPO"; it is still a JPEG to us.
    return opened == sniffed or (sniffed == "JPEG" and opened == "MPO")


def _open(data: bytes, max_pixels: int) -> tuple[Image.Image, str, int]:
    """Validate ``data`` and return (lazily opened image at frame 0, format, frame count).

    Must be called inside ``_pillow_guard``. Nothing is decoded here except what Pillow needs to
    count GIF frames; the pixel budget is checked from the header first.
    """
    fmt = sniff(data[:32])
    if fmt is None:
        raise ImageRejected("not a supported image format (JPEG, PNG, WebP, GIF, BMP, TIFF)")
    check_container(data, fmt)
    with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
        if not _same_format(fmt, probe.format) or fmt not in ALLOWED_FORMATS:
            raise ImageRejected(f"content is not a valid {fmt} image")
        w, h = probe.size
        if w < 1 or h < 1:
            raise ImageRejected("image has no pixels")
        if w * h > max_pixels:
            raise ImageRejected(f"image is {w}x{h}, more than the {max_pixels} pixel limit")
        probe.verify()  # CRCs and chunk structure; the probe is unusable afterwards
    im = Image.open(io.BytesIO(data), formats=[fmt])
    frames = 1 if fmt == "JPEG" else int(getattr(im, "n_frames", 1))
    if frames * w * h > ANIMATION_PIXEL_FACTOR * max_pixels:
        raise ImageRejected(f"animation has too many pixels ({frames} frames of {w}x{h})")
    if frames > 1:
        im.seek(0)
    return im, fmt, frames


# --- EXIF --------------------------------------------------------------------------------------

_EXIF_DATE = re.compile(r"^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"^[+-]\d{2}:\d{2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return None
    value = _CONTROL.sub("", value).strip()[:128]
    return value or None


def _exif_datetime(value: object, offset: object) -> str | None:
    """EXIF 'YYYY:MM:DD HH:MM:SS' (+ OffsetTime*) as ISO 8601, or None if absent or bogus."""
    text = _text(value)
    match = _EXIF_DATE.match(text or "")
    if not match:
        return None
    try:
        stamp = datetime(*map(int, match.groups())).isoformat()
    except ValueError:  # "0000:00:00 00:00:00" and friends
        return None
    tz = _text(offset)
    return stamp + tz if tz and _OFFSET.match(tz) else stamp


def _exif_summary(im: Image.Image) -> tuple[ExifSummary, int]:
    """The EXIF subset we keep and the effective orientation (1..8). Never any GPS values."""
    try:
        exif = im.getexif()
        sub = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception:  # a broken EXIF block is no reason to reject the image
        return ExifSummary(), 1
    raw = exif.get(ExifTags.Base.Orientation)
    orientation = raw if isinstance(raw, int) and 1 <= raw <= 8 else None
    captured = _exif_datetime(
        sub.get(ExifTags.Base.DateTimeOriginal), sub.get(ExifTags.Base.OffsetTimeOriginal)
    ) or _exif_datetime(exif.get(ExifTags.Base.DateTime), sub.get(ExifTags.Base.OffsetTime))
    summary = ExifSummary(
        make=_text(exif.get(ExifTags.Base.Make)),
        model=_text(exif.get(ExifTags.Base.Model)),
        captured_at=captured,
        orientation=orientation,
        software=_text(exif.get(ExifTags.Base.Software)),
        has_gps=ExifTags.IFD.GPSInfo in exif,
    )
    return summary, orientation or 1


# --- geometry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    size: tuple[int, int]  # output size
    scaled: tuple[int, int]  # the whole source scaled, before any crop: what decoding must reach
    box: tuple[float, float, float, float] = _FULL_BOX  # crop of the source, as fractions


def _check_side(name: str, value: int | None) -> None:
    if value is not None and not 1 <= value <= MAX_SIDE:
        raise ValueError(f"{name} must be between 1 and {MAX_SIDE}")


def _plan(src_w: int, src_h: int, width: int | None, height: int | None, fit: Fit) -> _Plan:
    _check_side("width", width)
    _check_side("height", height)
    if width is None and height is None:
        return _Plan((src_w, src_h), (src_w, src_h))
    if width is not None and height is not None:
        if fit is Fit.fill:
            return _Plan((width, height), (width, height))
        if fit is Fit.cover:
            scale = max(width / src_w, height / src_h)
            sw, sh = max(width, round(src_w * scale)), max(height, round(src_h * scale))
            fx, fy = width / (src_w * scale), height / (src_h * scale)
            box = ((1 - fx) / 2, (1 - fy) / 2, (1 + fx) / 2, (1 + fy) / 2)
            return _Plan((width, height), (sw, sh), box)
    # contain / inside, and any fit with one side given: the other side follows the aspect
    # ratio. The missing side is capped at MAX_SIDE so that a one-sided request on a panorama
    # cannot ask for a 4096 x 400000 image.
    box_w, box_h = width or MAX_SIDE, height or MAX_SIDE
    scale = min(box_w / src_w, box_h / src_h)
    if fit is Fit.inside:
        scale = min(scale, 1.0)
    size = (
        min(box_w, max(1, round(src_w * scale))),
        min(box_h, max(1, round(src_h * scale))),
    )
    return _Plan(size, size)


def target_size(src_w: int, src_h: int, width: int | None, height: int | None, fit: Fit) -> tuple[int, int]:
    """Output size for a source of src_w x src_h (already oriented) and a requested box.

    contain: fit the box keeping aspect (may upscale); inside: same but never upscales;
    cover: exactly the box, centre-cropped; fill: exactly the box, stretched. With one side
    given the other follows the aspect ratio (for every fit). Neither given: the source size.
    """
    return _plan(src_w, src_h, width, height, fit).size


def _apply(img: Image.Image, plan: _Plan) -> Image.Image:
    if plan.size == img.size and plan.box == _FULL_BOX:
        return img
    x0, y0, x1, y1 = plan.box
    box = (x0 * img.width, y0 * img.height, x1 * img.width, y1 * img.height)
    return img.resize(plan.size, LANCZOS, box=box, reducing_gap=REDUCING_GAP)


# --- decoding to a working image -------------------------------------------------------------


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_8bit_gray(im: Image.Image) -> Image.Image:
    """I;16*, I and F to L. Pillow's own convert('L') clips 16-bit values instead of scaling."""
    src = im if im.mode in ("I", "F") else im.convert("I")
    if im.mode.startswith("I;16"):
        scale, offset = 1 / 256, 0.0
    else:
        lo, hi = src.getextrema()
        if lo >= 0 and hi <= 255:
            scale, offset = 1.0, 0.0
        elif lo >= 0 and hi <= 65535:
            scale, offset = 1 / 256, 0.0
        else:  # arbitrary range (float or 32-bit data): stretch to 0..255
            scale = 255 / (hi - lo) if hi > lo else 1.0
            offset = -lo * scale
    return src.point(lambda v: v * scale + offset).convert("L")


def _icc_to_srgb(im: Image.Image, icc: bytes, alpha: bool) -> Image.Image | None:
    """Convert through the embedded ICC profile to sRGB; None if the profile is sRGB already or
    unusable (the caller then falls back to a plain conversion)."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(profile).lower():
            return None
        alpha_band = None
        if alpha:
            rgba = im.convert("RGBA")
            alpha_band, im = rgba.getchannel("A"), rgba.convert("RGB")
        elif im.mode not in ("RGB", "CMYK", "L"):
            im = im.convert("RGB")
        out = ImageCms.profileToProfile(im, profile, _srgb(), outputMode="RGB")
        assert out is not None
        if alpha_band is not None:
            out.putalpha(alpha_band)
        return out
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def _to_working(im: Image.Image, has_alpha: bool) -> Image.Image:
    """Any decoded mode (CMYK, P, PA, LA, 1, I;16, F...) to sRGB 'RGB' or 'RGBA'."""
    icc = im.info.get("icc_profile")
    if im.mode.startswith("I") or im.mode == "F":
        im = _to_8bit_gray(im)
    if icc:
        converted = _icc_to_srgb(im, icc, has_alpha)
        if converted is not None:
            return converted
    target = "RGBA" if has_alpha else "RGB"
    return im if im.mode == target else im.convert(target)


def _decode(im: Image.Image, fmt: str, need: tuple[int, int], orientation: int) -> Image.Image:
    """Decode once, at the smallest JPEG DCT scale still >= ``need`` (oriented size)."""
    has_alpha = im.has_transparency_data
    if fmt == "JPEG":
        stored_need = need[::-1] if orientation >= 5 else need  # 5..8 swap the axes
        im.draft(None, (max(1, stored_need[0]), max(1, stored_need[1])))
    im.load()
    work = _to_working(im, has_alpha)
    if orientation in _TRANSPOSE:
        work = work.transpose(_TRANSPOSE[orientation])
    return work


# --- encoding ---------------------------------------------------------------------------------


def _is_opaque(img: Image.Image) -> bool:
    return img.mode != "RGBA" or img.getchannel("A").getextrema()[0] == 255


def _flatten(img: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    if img.mode != "RGBA":
        return img.convert("RGB")
    canvas = Image.new("RGB", img.size, background)
    canvas.paste(img, mask=img.getchannel("A"))
    return canvas


def _encode(img: Image.Image, fmt: str, quality: int | None) -> RenderedImage:
    """Encode with no metadata at all: a fresh info dict means no EXIF, XMP, ICC or comments."""
    if fmt == "JPEG":
        img = _flatten(img)  # JPEG has no alpha: composite on white rather than on black
    elif img.mode == "RGBA" and _is_opaque(img):
        img = img.convert("RGB")
    img.info = {}
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.save(buf, "JPEG", quality=quality or JPEG_QUALITY, optimize=True, progressive=True)
    elif fmt == "WEBP":
        img.save(buf, "WEBP", quality=quality or WEBP_QUALITY, method=4)
    else:  # PNG is lossless: quality does not apply
        img.save(buf, "PNG", compress_level=6)
    return RenderedImage(buf.getvalue(), _CONTENT_TYPES[fmt], img.width, img.height)


def _auto_format(img: Image.Image) -> str:
    # Opaque -> JPEG (smallest for photos); real transparency -> WebP (keeps alpha, lossy-small).
    return "JPEG" if _is_opaque(img) else "WEBP"


# --- analysis ---------------------------------------------------------------------------------

# DCT-II basis for the 8 lowest frequencies of a 32-sample signal (perceptual hash).
_DCT = [[math.cos(math.pi * k * (2 * n + 1) / 64) for n in range(32)] for k in range(8)]


def _phash(img: Image.Image) -> str:
    """64-bit DCT perceptual hash as 16 hex chars, compatible in layout with imagehash.phash.

    Written by hand (separable DCT of the 8x8 lowest frequencies of a 32x32 grayscale) because
    the ``imagehash`` library pulls numpy + scipy (~100 MB) into the Lambda layer.
    """
    gray = _flatten(img).convert("L").resize((32, 32), LANCZOS)
    px = gray.get_flattened_data()
    rows = [px[r * 32 : (r + 1) * 32] for r in range(32)]
    # Row transform (32 rows x 8 freqs), then column transform of those 8 columns.
    row_dct = [[sum(v * c for v, c in zip(row, basis, strict=True)) for basis in _DCT] for row in rows]
    coeffs = [sum(row_dct[y][u] * _DCT[v][y] for y in range(32)) for v in range(8) for u in range(8)]
    median = statistics.median(coeffs)
    bits = "".join("1" if c > median else "0" for c in coeffs)
    return f"{int(bits, 2):016x}"


def _blurhash(img: Image.Image) -> str:
    small = _flatten(img)
    small.thumbnail((32, 32), LANCZOS)
    px = small.get_flattened_data()
    w = small.width
    rows = [[list(p) for p in px[r * w : (r + 1) * w]] for r in range(small.height)]
    return blurhash.encode(rows, components_x=4, components_y=3)


def _dominant_colors(img: Image.Image, count: int = 5) -> list[DominantColor]:
    small = img.copy()
    small.thumbnail((64, 64), LANCZOS)
    if small.mode == "RGBA":  # transparent pixels are not a colour of the picture
        opaque = [p[:3] for p in small.get_flattened_data() if p[3] >= 128]
        if not opaque:
            return []
        small = Image.new("RGB", (len(opaque), 1))
        small.putdata(opaque)
    quantized = small.quantize(colors=count, method=Image.Quantize.MEDIANCUT)
    palette = quantized.getpalette() or []
    counts = quantized.getcolors() or []
    total = sum(n for n, _ in counts)
    colors = [
        DominantColor(hex="#{:02x}{:02x}{:02x}".format(*palette[i * 3 : i * 3 + 3]), share=round(n / total, 4))
        for n, i in sorted(counts, reverse=True)[:count]
    ]
    return colors


# --- public API -------------------------------------------------------------------------------


def process_upload(data: bytes, *, max_pixels: int, display: ResizeSpec | None = None) -> ProcessedUpload:
    """Validate, analyse and render an upload from a single decode (SPEC §3.6, §4).

    Renditions: ``thumbnail`` fits 256x256, ``compressed`` fits 2048x2048 (neither upscales),
    ``display`` is ``display`` if given and not empty, else the compressed one. JPEGs are decoded
    at the smallest DCT scale the largest rendition needs; smaller renditions and the analysis
    thumbnails are derived from the rendition-size images, never from full resolution.
    Raises ImageRejected with a short reason for anything not acceptable.
    """
    fmt = sniff(data[:32]) or "image"
    with _pillow_guard(fmt):
        im, fmt, frames = _open(data, max_pixels)
        with im:
            exif, orientation = _exif_summary(im)
            stored_w, stored_h, mode = im.width, im.height, im.mode
            has_alpha = im.has_transparency_data
            ow, oh = (stored_h, stored_w) if orientation >= 5 else (stored_w, stored_h)
            compressed_plan = _plan(ow, oh, *COMPRESSED_BOX, Fit.inside)
            display_plan = (
                _plan(ow, oh, display.width, display.height, display.fit)
                if display is not None and not display.is_empty()
                else None
            )
            need = compressed_plan.scaled
            if display_plan is not None:
                need = (max(need[0], display_plan.scaled[0]), max(need[1], display_plan.scaled[1]))
            base = _decode(im, fmt, need, orientation)

    compressed_img = _apply(base, compressed_plan)
    thumb_img = _apply(compressed_img, _plan(ow, oh, *THUMBNAIL_BOX, Fit.inside))
    out_fmt = _auto_format(compressed_img)
    compressed = _encode(compressed_img, out_fmt, None)
    renditions = {"thumbnail": _encode(thumb_img, out_fmt, None), "compressed": compressed}
    if display_plan is None:
        renditions["display"] = compressed
    else:
        fits_in_compressed = all(d <= c for d, c in zip(display_plan.scaled, compressed_plan.size, strict=True))
        src = compressed_img if fits_in_compressed else base
        renditions["display"] = _encode(_apply(src, display_plan), out_fmt, None)

    analysis = Analysis(
        width=stored_w,
        height=stored_h,
        format=fmt,
        mime=ALLOWED_FORMATS[fmt],
        mode=mode,
        has_alpha=has_alpha,
        animated=frames > 1 and fmt in ("GIF", "PNG", "WEBP"),
        frames=frames,
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        orientation=orientation,
        exif=exif,
        dominant_colors=_dominant_colors(thumb_img),
        blurhash=_blurhash(thumb_img),
        phash=_phash(thumb_img),
    )
    return ProcessedUpload(analysis=analysis, renditions=renditions)


def render(
    data: bytes,
    *,
    max_pixels: int,
    width: int | None,
    height: int | None,
    fit: Fit = Fit.contain,
    format: str | None = None,  # mirrors the query parameter of SPEC §3.5
    quality: int | None = None,
) -> RenderedImage:
    """Render the original ``data`` to one image (on-demand transforms, PATCH re-rendering).

    ``format`` is jpeg/png/webp (None: JPEG if opaque, else WebP); ``quality`` 1..100 applies to
    JPEG and WebP. Bad arguments raise ValueError (callers validate requests first); bad image
    bytes raise ImageRejected.
    """
    out_fmt = _OUTPUT_FORMATS.get(format.lower()) if format else None
    if format and out_fmt is None:
        raise ValueError("format must be jpeg, png or webp")
    if quality is not None and not 1 <= quality <= 100:
        raise ValueError("quality must be between 1 and 100")
    _check_side("width", width)  # before the guard, which would report it as a bad image
    _check_side("height", height)
    with _pillow_guard(sniff(data[:32]) or "image"):
        im, fmt, _ = _open(data, max_pixels)
        with im:
            _, orientation = _exif_summary(im)
            ow, oh = (im.height, im.width) if orientation >= 5 else im.size
            plan = _plan(ow, oh, width, height, fit)
            base = _decode(im, fmt, plan.scaled, orientation)
    out = _apply(base, plan)
    return _encode(out, out_fmt or _auto_format(out), quality)
