"""imageapi.domain.formats: the one format registry that sniffing, ingest, downloads, the upload
checks and the web page (through /health) read."""

import pytest

from imageapi.domain import formats
from imageapi.domain.models import PublicLimits
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
    assert set(types.file_types.values()) == set(formats.ALLOWED_CONTENT_TYPES)


def test_only_jpeg_png_and_webp_are_encoded() -> None:
    assert formats.OUTPUT_FORMATS == {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
