"""Issue 13 over HTTP against the whole local stack: every file of the formats corpus through the
presigned POST, a multipart upload, a raw body and the compatibility route, then checked as a
client sees it: status, dimensions, frames, the colour of a known patch, and no GPS anywhere.
(URL import of the same formats is in tests/e2e/security/hostile.py's catalogue.)"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from PIL import Image

from tests.harness import corpus
from tests.harness.http import Client

TOLERANCE = 8  # per channel: lossy renditions of a flat patch


@dataclass(frozen=True)
class Sample:
    name: str
    make: Callable[[], bytes]
    mime: str
    fmt: str
    size: tuple[int, int]
    frames: int = 1
    colour: tuple[int, int, int] | None = corpus.PATCH_SRGB  # the thumbnail's centre
    gps: bool = False


SAMPLES = [
    Sample("avif", lambda: corpus.avif(), "image/avif", "AVIF", (320, 240), gps=True),
    Sample("avif_alpha", lambda: corpus.avif(alpha=True), "image/avif", "AVIF", (320, 240), gps=True, colour=None),
    Sample("heic", lambda: corpus.heic(), "image/heic", "HEIF", (320, 240), gps=True),
    Sample("gif_12", lambda: corpus.animation("GIF", 12), "image/gif", "GIF", (160, 120), 12, (0, 0, 255)),
    Sample("webp_3", lambda: corpus.animation("WEBP", 3), "image/webp", "WEBP", (160, 120), 3, (0, 0, 255)),
    Sample("gif_over_frames", lambda: corpus.animation("GIF", 301, (16, 12)), "image/gif", "GIF", (16, 12), 301, None),
    Sample("p3_jpeg", lambda: corpus.p3_jpeg(), "image/jpeg", "JPEG", (320, 240), gps=True),
    Sample("cmyk_jpeg", lambda: corpus.cmyk_jpeg(), "image/jpeg", "JPEG", (320, 240), colour=(255, 0, 0)),
    Sample("png16_p3", lambda: corpus.png16_p3(), "image/png", "PNG", (64, 48)),
]
WAYS = ["presigned", "multipart", "raw", "compat"]
MATRIX = [(s, w) for s in SAMPLES for w in WAYS]


def _submit(client: Client, sample: Sample, way: str) -> str:
    # A short title: each of a title's trigrams costs an UpdateItem of its count, and the matrix
    # is about the bytes (the search tests cover titles).
    data, title = sample.make(), sample.name[:3]
    upload = (f"{sample.name}.{sample.fmt.lower()}", data, sample.mime)
    if way == "presigned":
        api, s3 = client.presigned_upload(title, data, sample.mime)
        assert api.status_code == 201 and s3 is not None and s3.status_code == 204, (api.text, s3 and s3.text)
        return str(api.json()["image"]["id"])
    if way == "multipart":
        api = client.request("POST", "/images", files={"file": upload}, data={"title": title})
    elif way == "raw":
        api = client.request(
            "POST", "/images", params={"title": title}, data=data, headers={"Content-Type": sample.mime}
        )
    else:
        api = client.request("POST", "/upload_image", files={"file": upload}, data={"title": title})
        assert api.status_code == 201, api.text
        return str(api.json()["image_id"])
    assert api.status_code == 201, api.text
    return str(api.json()["id"])


@pytest.fixture(scope="module")
def formats_client(stack: Any) -> Client:
    return Client(stack.api_url, stack.token("formats"))


@pytest.fixture(scope="module")
def submitted(formats_client: Client) -> dict[tuple[str, str], str]:
    """Everything first, so the poller ingests the matrix in batches while the checks poll."""
    return {(s.name, w): _submit(formats_client, s, w) for s, w in MATRIX}


def _fetch(client: Client, image_id: str, variant: str) -> bytes:
    link = client.request("GET", f"/images/{image_id}/download", params={"variant": variant, "redirect": "false"})
    assert link.status_code == 200, link.text
    got = requests.get(link.json()["url"], timeout=30)
    assert got.status_code == 200
    return got.content


@pytest.mark.parametrize(("sample", "way"), MATRIX, ids=[f"{s.name}-{w}" for s, w in MATRIX])
def test_format_through_every_way_in(sample: Sample, way: str, submitted: dict, formats_client: Client) -> None:
    image_id = submitted[(sample.name, way)]
    image = formats_client.wait_for(image_id)
    assert image["status"] == "ready", image
    assert (image["original"]["width"], image["original"]["height"]) == sample.size
    analysis = formats_client.request("GET", f"/images/{image_id}/analysis").json()
    assert (analysis["format"], analysis["frames"], analysis["animated"]) == (
        sample.fmt,
        sample.frames,
        sample.frames > 1,
    )
    assert analysis["exif"]["has_gps"] is sample.gps
    assert "GPSLatitude" not in str(analysis) and "51.0" not in str(analysis["exif"])
    kept = sample.frames if sample.frames <= 300 else 1  # 300: the default frame limit
    if sample.frames > 1:  # over the limits only the first frame is decoded: no duration
        assert analysis["loop"] == 0 and analysis["duration_ms"] == (80 * sample.frames if kept > 1 else None)
    for variant in ("thumbnail", "display", "compressed"):
        with Image.open(io.BytesIO(_fetch(formats_client, image_id, variant))) as out:
            assert not out.getexif() and "icc_profile" not in out.info, "renditions carry no metadata"
            assert getattr(out, "n_frames", 1) == kept, variant
            if sample.colour is not None:
                rgb = out.convert("RGB").getpixel((out.width // 2, out.height // 2))
                assert all(abs(a - b) <= TOLERANCE for a, b in zip(rgb, sample.colour, strict=True)), (variant, rgb)
