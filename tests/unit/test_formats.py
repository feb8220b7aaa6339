"""imageapi.domain.formats: the one format registry that sniffing, ingest, downloads, the upload
checks and the web page (through /health) read."""

import pytest

from imageapi.domain import formats
from imageapi.domain.health import PublicLimits
from tests.harness.images import jpeg, png


def test_sniffing_reads_the_magic_bytes_of_each_registered_format() -> None:
    assert formats.sniff(jpeg(8, 8)[:32]) == "JPEG"
    assert formats.sniff(png(8, 8)[:32]) == "PNG"
    assert formats.sniff(b"RIFF\0\0\0\0WEBPVP8 ") == "WEBP"
    assert formats.sniff(b"GIF89a" + b"\0" * 26) == "GIF"
    assert formats.sniff(b"MM\0*" + b"\0" * 28) == "TIFF"
    assert formats.sniff(b"BM" + b"\0" * 12 + (40).to_bytes(4, "little") + b"\0" * 14) == "BMP"


@pytest.mark.parametrize(
    "head", [b"BM not a bitmap at all, just text", b"<svg xmlns='http://www.w3.org/2000/svg'>", b"PK\x03\x04", b""]
)
def test_anything_else_is_no_format(head: bytes) -> None:
    assert formats.sniff(head) is None


def test_downloads_and_the_page_get_their_extensions_from_the_registry() -> None:
    assert formats.extension_for("image/jpeg") == "jpg"
    assert formats.extension_for("image/tiff") == "tiff"
    assert formats.extension_for("application/octet-stream") == "bin"
    types = PublicLimits(max_upload_bytes=1, max_direct_upload_bytes=1, max_pixels=1, max_renditions_per_image=3)
    assert types.file_types["jpeg"] == types.file_types["jpg"] == "image/jpeg"
    assert types.file_types["tif"] == "image/tiff"
    assert set(types.file_types.values()) == set(formats.ALLOWED_FORMATS.values())
    assert types.file_types["heic"] == types.file_types["heif"] == "image/heic"
    assert types.file_types["avif"] == "image/avif"


def test_encoded_formats() -> None:
    assert formats.OUTPUT_FORMATS == {
        "jpg": "JPEG",
        "jpeg": "JPEG",
        "png": "PNG",
        "webp": "WEBP",
        "gif": "GIF",
        "avif": "AVIF",
    }


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\0\0\0\0" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\0\0\0\x08meta"


@pytest.mark.parametrize(
    ("head", "name"),
    [
        (_ftyp(b"avif", b"mif1", b"miaf"), "AVIF"),
        (_ftyp(b"avis", b"msf1"), "AVIF"),
        (_ftyp(b"mif1", b"avif"), "AVIF"),  # major mif1, AVIF by its compatible brand
        (_ftyp(b"heic", b"mif1"), "HEIF"),
        (_ftyp(b"heix"), "HEIF"),
        (_ftyp(b"mif1", b"heic"), "HEIF"),
        (_ftyp(b"msf1", b"hevc"), "HEIF"),
        (_ftyp(b"isom", b"mp41"), None),  # an MP4 video is not an image
        (_ftyp(b"qt  "), None),
        (b"\0\0\0\x04ftypheic", None),  # a box too small to hold a brand list
    ],
)
def test_iso_bmff_images_are_sniffed_from_their_ftyp_brands(head: bytes, name: str | None) -> None:
    assert formats.sniff(head[:64]) == name


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", "avif"),  # Chrome
        ("image/webp,*/*", "webp"),
        ("image/avif;q=0, image/webp;q=0.5", "webp"),
        ("image/png,image/*;q=0.8,*/*;q=0.5", "jpeg"),  # wildcards do not promise AVIF or WebP
        ("*/*", "jpeg"),
        ("", "jpeg"),
        (None, "jpeg"),
        ("image/avif;q=bogus, image/webp", "webp"),
    ],
)
def test_auto_picks_avif_then_webp_then_jpeg_from_accept(accept: str | None, chosen: str) -> None:
    assert formats.negotiate(accept) == chosen


def test_heic_can_be_switched_off_with_a_reason() -> None:
    assert formats.refusal("HEIF", heic=True) is None
    assert formats.refusal("image/heif", heic=False) == formats.HEIC_DISABLED
    assert formats.refusal("image/heic", heic=False) == formats.HEIC_DISABLED
    assert formats.refusal("HEIF", heic=False) == formats.HEIC_DISABLED
    assert formats.refusal("AVIF", heic=False) is None and formats.refusal(None, heic=False) is None
    off = formats.extension_types(heic=False)
    assert "heic" not in off and "heif" not in off and off["avif"] == "image/avif"
