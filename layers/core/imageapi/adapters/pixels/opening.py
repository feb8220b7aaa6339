"""Opening under the pixel limit (size from the header, before any pixel is decoded), and the EXIF summary."""

import io
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from PIL import ExifTags, Image

from imageapi.adapters.pixels.containers import check_container
from imageapi.adapters.pixels.heif import heif_available
from imageapi.adapters.pixels.tunables import ANIMATION_PIXEL_FACTOR
from imageapi.domain.errors import ImageRejected
from imageapi.domain.formats import ALLOWED_FORMATS, HEIC_DISABLED, sniff
from imageapi.domain.models import (
    ExifSummary,
)

# --- opening under the pixel limit -----------------------------------------------------------


@contextmanager
def pillow_guard(fmt: str) -> Iterator[None]:
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


def open_image(
    data: bytes, max_pixels: int, *, heic: bool = True, walk_structure: bool = True
) -> tuple[Image.Image, str, int]:
    """Validate ``data`` and return (lazily opened image at frame 0, format, frame count).

    Must be called inside ``pillow_guard``. Nothing is decoded here except what Pillow needs to
    count GIF frames; the pixel budget is checked from the header first.
    """
    fmt = sniff(data[:64])
    if fmt is None:
        raise ImageRejected("not a supported image format (JPEG, PNG, WebP, GIF, BMP, TIFF, AVIF, HEIC)")
    if fmt == "HEIF" and not heif_available(heic):
        raise ImageRejected(HEIC_DISABLED)
    if walk_structure:  # False only for originals, which passed this walk at ingest
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
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        stamp = datetime(year, month, day, hour, minute, second).isoformat()
    except ValueError:  # "0000:00:00 00:00:00" and friends
        return None
    tz = _text(offset)
    return stamp + tz if tz and _OFFSET.match(tz) else stamp


def exif_summary(im: Image.Image) -> tuple[ExifSummary, int]:
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
