"""Issue 13 through the handlers: format=auto negotiated from Accept (Vary, canonical keys that
name the real format), AVIF/HEIC ingested, the HEIC switch (415 with its reason, /health)."""

import io
from typing import Any

import pytest
from PIL import Image

from imageapi.domain import keys
from imageapi.domain.formats import HEIC_DISABLED
from tests.harness import corpus
from tests.integration.handlers.test_lifecycle import fetch_presigned, ready_image
from tests.integration.handlers.test_spine import objects

CHROME = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"


def test_format_auto_follows_accept_and_keys_name_the_real_format(api: Any, aws: Any, ingest: Any) -> None:
    ready = ready_image(api, aws, ingest)
    path = f"/images/{ready['id']}/download"
    prefix = f"renditions/{keys.encode_owner('alice')}/{ready['id']}/t_"
    seen = {}
    for accept, fmt in ((CHROME, "AVIF"), ("image/webp,*/*", "WEBP"), ("*/*", "JPEG")):
        query = {"w": "120", "format": "auto", "redirect": "false"}
        reply = api.call("download", "download_get.json", path=path, query=query, headers={"accept": accept})
        assert reply.status == 200, reply.text
        assert reply.headers["vary"] == "Accept"
        data, headers = fetch_presigned(reply.json()["url"])
        assert Image.open(io.BytesIO(data)).format == fmt
        seen[fmt] = headers["content-type"]
    assert seen == {"AVIF": "image/avif", "WEBP": "image/webp", "JPEG": "image/jpeg"}
    names = sorted(key.rsplit("/", 1)[1] for key in objects(aws, prefix))
    assert names == ["t_120xauto_contain_qauto.avif", "t_120xauto_contain_qauto.jpeg", "t_120xauto_contain_qauto.webp"]
    fixed = api.call("download", "download_get.json", path=path, query={"w": "120", "format": "avif"})
    assert fixed.status == 302 and "vary" not in fixed.headers  # an explicit format does not vary


@pytest.mark.parametrize(
    ("make", "mime", "fmt"),
    [(lambda: corpus.avif(), "image/avif", "AVIF"), (lambda: corpus.heic(), "image/heic", "HEIF")],
    ids=["avif", "heic"],
)
def test_avif_and_heic_ingest_to_ready(api: Any, aws: Any, ingest: Any, make: Any, mime: str, fmt: str) -> None:
    data = make()
    ready = ready_image(api, aws, ingest, data=data, content_type=mime, size=len(data))
    assert ready["status"] == "ready", ready
    analysis = api.call("analyse", "analyse_get.json", path=f"/images/{ready['id']}/analysis").json()
    assert (analysis["format"], analysis["mime"], analysis["width"], analysis["height"]) == (fmt, mime, 320, 240)
    assert analysis["exif"]["has_gps"] is True and "GPSLatitude" not in str(analysis)


def test_heic_switched_off_is_a_415_with_the_reason(api: Any, settings_override: Any) -> None:
    health = api.call("meta", "meta_health.json", path="/health", sub=None).json()["limits"]
    assert health["heic"] is True and health["file_types"]["heic"] == "image/heic"
    assert health["file_types"]["avif"] == "image/avif" and health["max_animation_frames"] >= 1
    settings_override(heic_enabled="false")
    health = api.call("meta", "meta_health.json", path="/health", sub=None).json()["limits"]
    assert health["heic"] is False and "heic" not in health["file_types"]
    body = {"title": "iPhone photo", "content_type": "image/heic", "size": 1000}
    problem = api.call("upload", "upload_create.json", body=body).assert_problem(415)
    assert problem["detail"] == HEIC_DISABLED
    raw = api.call(
        "upload",
        "upload_create.json",
        query={"title": "raw heic"},
        binary=corpus.heic((64, 48)),
        headers={"content-type": "image/heic"},
    )
    assert raw.assert_problem(415)["detail"] == HEIC_DISABLED
