"""Embedded rendition URLs (SPEC §3.4, §3.10) from the use cases: ready images carry signed URLs
of thumbnail, display and compressed with their sizes; pending ones none; a re-render changes the
URL (the version), a reread within the window does not. Real in-process S3 signer, no network."""

from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from botocore.credentials import ReadOnlyCredentials

from imageapi.adapters.signing import S3RenditionSigner
from imageapi.domain.embedded import EMBEDDED_VARIANTS
from imageapi.domain.images import ImageService
from imageapi.domain.models import CreatedUpload, CreateUploadRequest, DuplicateImage, ImagePatch, ImageStatus
from tests.harness.images import jpeg
from tests.harness.usecases import OWNER


def _signing(service: ImageService) -> ImageService:
    creds = ReadOnlyCredentials("testing", "testing", None)
    signer = S3RenditionSigner("embed-test", "us-east-1", lambda: creds, ttl_seconds=3600, window_seconds=900)
    return replace(service, signer=signer)


def test_a_ready_image_embeds_signed_urls_of_its_renditions(
    service: ImageService, ingest_all: Callable[[], None]
) -> None:
    service = _signing(service)
    pending = service.store_direct(OWNER, "photo", jpeg(800, 600), "image/jpeg", None)
    assert service.present(pending).renditions is None  # nothing to show yet
    ingest_all()
    record = service.get_image(OWNER, pending.id)
    assert record.status is ImageStatus.ready
    out = service.present(record)
    assert out.renditions is not None
    for name in EMBEDDED_VARIANTS:
        entry = getattr(out.renditions, name)
        stored = record.renditions[name]
        assert (entry.width, entry.height, entry.content_type) == (stored.width, stored.height, stored.content_type)
        parts = urlsplit(entry.url)
        assert parts.path.endswith("/" + stored.key)  # the rendition's own object, nothing else
        query = parse_qs(parts.query)
        assert query["X-Amz-Signature"] and query["v"] == [str(int(record.updated_at.timestamp() * 1000))]
        assert entry.expires_at > record.updated_at
    # Within one window the same URL again: the browser's cache hits on reload.
    assert service.present(service.get_image(OWNER, pending.id)).renditions == out.renditions
    listed = service.list_images(OWNER, limit=10, cursor=None, status=None, query=None)
    assert listed.items[0].renditions == out.renditions
    plain = service.list_images(OWNER, limit=10, cursor=None, status=None, query=None, embed=False)
    assert plain.items[0].renditions is None  # the compatibility list: links only, nothing signed


def test_a_re_render_changes_the_display_url_and_a_rename_keeps_the_sizes(
    service: ImageService, ingest_all: Callable[[], None], clock: Any
) -> None:
    service = _signing(service)
    image_id = service.store_direct(OWNER, "photo", jpeg(400, 300), "image/jpeg", None).id
    ingest_all()
    before = service.present(service.get_image(OWNER, image_id)).renditions
    clock.advance(5)
    after = service.present(service.update_image(OWNER, image_id, ImagePatch(width=80))).renditions
    assert before and after and before.display and after.display
    assert (after.display.width, after.display.height) == (80, 60)
    assert after.display.url != before.display.url  # a new version: no stale pixels from any cache


def test_the_duplicate_answer_embeds_urls_and_a_new_upload_does_not(
    service: ImageService, ingest_all: Callable[[], None]
) -> None:
    import hashlib

    service = _signing(service)
    data = jpeg(300, 200)
    service.store_direct(OWNER, "photo", data, "image/jpeg", None)
    ingest_all()
    ask = CreateUploadRequest(title="again", content_type="image/jpeg", size=len(data))
    duplicate = service.create_upload(OWNER, ask.model_copy(update={"sha256": hashlib.sha256(data).hexdigest()}))
    assert isinstance(duplicate, DuplicateImage) and duplicate.image.renditions is not None
    fresh = service.create_upload(OWNER, ask)
    assert isinstance(fresh, CreatedUpload) and fresh.image.renditions is None


def test_without_a_signer_the_image_object_has_links_only(
    service: ImageService, ingest_all: Callable[[], None]
) -> None:
    image_id = service.store_direct(OWNER, "photo", jpeg(300, 200), "image/jpeg", None).id
    ingest_all()
    out = service.present(service.get_image(OWNER, image_id))
    assert out.renditions is None and out.links.thumbnail.endswith("variant=thumbnail")
