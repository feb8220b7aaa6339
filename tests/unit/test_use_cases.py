"""The use cases (imageapi.domain.images, .ingest, .predictions) on the in-memory fakes of the
repository and object store, with real Pillow: create, direct upload, URL import, ingest,
duplicates, quota, change, download, predictions (delete: test_trash.py). No server runs here."""

from collections.abc import Callable
from typing import Any

import pytest

from imageapi.domain import keys
from imageapi.domain.errors import (
    BadRequest,
    Conflict,
    ImageWasRejected,
    NotFound,
    PayloadTooLarge,
    QuotaExceeded,
    TooManyRequests,
    UnsupportedMediaType,
)
from imageapi.domain.images import ImageService
from imageapi.domain.ingest import Ingestor, Outcome
from imageapi.domain.models import (
    CreatedUpload,
    CreateUploadRequest,
    DuplicateImage,
    Fit,
    ImagePatch,
    ImageStatus,
    ImportFromUrlRequest,
    OutputFormat,
    ResizeSpec,
    Transform,
    Variant,
)
from imageapi.domain.predictions import PredictionService
from tests.harness.fakes import MemoryObjectStore, MemoryRepository
from tests.harness.images import jpeg, png
from tests.harness.logs import capture_logs
from tests.harness.usecases import OWNER, Fetched


def _ready(service: ImageService, ingest_all: Callable[[], None], data: bytes, title: str = "photo") -> str:
    record = service.store_direct(OWNER, title, data, "image/jpeg", None)
    ingest_all()
    assert service.get_image(OWNER, record.id).status is ImageStatus.ready
    return record.id


# ---------------------------------------------------------------- create and ingest


def test_a_presigned_upload_reserves_quota_and_binds_the_form_to_the_incoming_key(
    service: ImageService, repository: MemoryRepository
) -> None:
    created = service.create_upload(OWNER, CreateUploadRequest(title="t", content_type="image/png", size=1234))
    assert isinstance(created, CreatedUpload)
    assert created.image.status is ImageStatus.pending
    assert created.upload.fields["key"] == keys.incoming_key(OWNER, created.image.id)
    assert repository.usage[OWNER] == (1, 1234)


@pytest.mark.parametrize(
    ("request_fields", "error"),
    [
        ({"content_type": "image/svg+xml", "size": 10}, UnsupportedMediaType),
        ({"content_type": "image/png", "size": 30 * 1024 * 1024}, PayloadTooLarge),
    ],
)
def test_a_presigned_upload_refuses_types_and_sizes_outside_the_limits(
    service: ImageService, repository: MemoryRepository, request_fields: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        service.create_upload(OWNER, CreateUploadRequest(title="t", **request_fields))
    assert repository.records == {}


def test_a_direct_upload_becomes_ready_with_renditions_and_analysis(
    service: ImageService, store: MemoryObjectStore, repository: MemoryRepository, ingest_all: Callable[[], None]
) -> None:
    data = jpeg(800, 600)
    image_id = _ready(service, ingest_all, data)
    record = service.get_image(OWNER, image_id)
    assert set(record.renditions) == {"thumbnail", "compressed", "display"}
    assert record.renditions["display"] == record.renditions["compressed"]  # same bytes, stored once
    assert record.original and (record.original.width, record.original.height) == (800, 600)
    assert store.keys("incoming/") == []
    assert store.get(keys.original_key(OWNER, image_id)) == data
    assert repository.usage[OWNER] == (1, len(data))
    assert service.get_analysis(OWNER, image_id).format == "JPEG"


def test_ingest_rejects_bytes_that_are_not_an_image_and_gives_the_reservation_back(
    service: ImageService, ingestor: Ingestor, store: MemoryObjectStore, repository: MemoryRepository
) -> None:
    record = service.store_direct(OWNER, "fake", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png", None)
    assert ingestor.ingest(keys.incoming_key(OWNER, record.id)) is Outcome.rejected
    rejected = service.get_image(OWNER, record.id)
    assert rejected.status is ImageStatus.rejected and rejected.rejection_reason
    assert repository.usage[OWNER] == (0, 0)
    assert store.keys() == []
    with pytest.raises(ImageWasRejected):
        service.get_analysis(OWNER, record.id)


def test_ingest_is_idempotent_and_ignores_foreign_layouts_and_orphans(
    service: ImageService, ingestor: Ingestor, store: MemoryObjectStore
) -> None:
    record = service.store_direct(OWNER, "t", png(64, 48), "image/png", None)
    key = keys.incoming_key(OWNER, record.id)
    store.put("elsewhere/file.png", b"x", "image/png")
    assert ingestor.ingest(key) is Outcome.ready
    store.put(key, png(64, 48), "image/png")  # a redelivered event finds the bytes again
    assert ingestor.ingest(key) is Outcome.already_done
    assert ingestor.ingest("elsewhere/file.png") is Outcome.ignored
    orphan = keys.incoming_key(OWNER, "01JAAAAAAAAAAAAAAAAAAAAAAA")
    store.put(orphan, png(8, 8), "image/png")
    assert ingestor.ingest(orphan) is Outcome.orphan
    assert store.get(orphan) is None


def test_ingest_logs_where_the_time_went_and_writes_everything(
    service: ImageService, ingestor: Ingestor, store: MemoryObjectStore
) -> None:
    record = service.store_direct(OWNER, "t", jpeg(640, 480), "image/jpeg", None)
    with capture_logs(this_thread=True) as logs:
        assert ingestor.ingest(keys.incoming_key(OWNER, record.id), queue_wait_ms=12.5) is Outcome.ready
    (line,) = [line for line in logs.lines if " image ready " in line]
    for part in (
        "'queue_wait_ms': 12.5",
        "'download_ms'",
        "'process.validate_ms'",
        "'process.decode_ms'",
        "'process.compressed_resize_ms'",
        "'process.compressed_encode_ms'",
        "'process.thumbnail_ms'",
        "'process.analysis_ms'",
        "'write.thumbnail_ms'",
        "'write.compressed_ms'",
        "'write.original_ms'",
        "'writes_ms'",
        "'complete_record_ms'",
    ):
        assert part in line
    assert "write.display_ms" not in line  # no resize asked: display shares the compressed bytes
    ready = service.get_image(OWNER, record.id)
    assert ready.renditions["display"] == ready.renditions["compressed"]
    for name in ("thumbnail", "compressed"):
        assert store.get(keys.rendition_key(OWNER, record.id, name)) is not None
    assert store.get(keys.original_key(OWNER, record.id)) == jpeg(640, 480)
    assert store.keys("incoming/") == []


def test_ingest_rejects_a_file_over_the_upload_limit_before_decoding(
    service: ImageService, ingestor: Ingestor, store: MemoryObjectStore, settings: Any
) -> None:
    record = service.create_upload(OWNER, CreateUploadRequest(title="t", content_type="image/png", size=100))
    assert isinstance(record, CreatedUpload)
    key = keys.incoming_key(OWNER, record.image.id)
    store.put(key, b"\x89PNG" + b"\0" * settings.max_upload_bytes, "image/png")
    assert ingestor.ingest(key) is Outcome.rejected
    assert "larger than" in (service.get_image(OWNER, record.image.id).rejection_reason or "")


def test_a_direct_upload_with_a_size_renders_its_display_rendition(
    service: ImageService, ingest_all: Callable[[], None]
) -> None:
    record = service.store_direct(OWNER, "t", jpeg(800, 600), "image/jpeg", ResizeSpec(width=100, fit=Fit.contain))
    ingest_all()
    display = service.get_image(OWNER, record.id).renditions["display"]
    assert (display.width, display.height) == (100, 75)


def test_direct_uploads_refuse_empty_and_oversized_bodies(service: ImageService, settings: Any) -> None:
    with pytest.raises(BadRequest):
        service.store_direct(OWNER, "t", b"", "image/png", None)
    with pytest.raises(PayloadTooLarge):
        service.store_direct(OWNER, "t", b"x" * (settings.max_direct_upload_bytes + 1), "image/png", None)


def test_url_import_stores_what_the_fetcher_answered(
    service: ImageService, fetched: Fetched, ingest_all: Callable[[], None]
) -> None:
    fetched.data, fetched.content_type = png(40, 30), "image/png"
    record = service.import_from_url(OWNER, ImportFromUrlRequest(title="web", source_url="https://example.test/a.png"))
    assert fetched.urls == ["https://example.test/a.png"]
    ingest_all()
    assert service.get_image(OWNER, record.id).status is ImageStatus.ready


def test_the_same_bytes_again_answer_the_ready_duplicate(service: ImageService, ingest_all: Callable[[], None]) -> None:
    import hashlib

    data = jpeg(120, 90)
    image_id = _ready(service, ingest_all, data)
    again = service.create_upload(
        OWNER,
        CreateUploadRequest(
            title="t", content_type="image/jpeg", size=len(data), sha256=hashlib.sha256(data).hexdigest()
        ),
    )
    assert isinstance(again, DuplicateImage) and again.image.id == image_id


def test_the_quota_counts_images_and_refuses_past_it(service: ImageService, settings: Any) -> None:
    for _ in range(settings.quota_max_images):
        service.store_direct(OWNER, "t", b"x", "image/png", None)
    with pytest.raises(QuotaExceeded):
        service.store_direct(OWNER, "t", b"x", "image/png", None)
    service.store_direct("owner-b", "t", b"x", "image/png", None)  # quota is per owner


# ---------------------------------------------------------------- read, change, download, delete


def test_foreign_and_malformed_ids_are_not_found(service: ImageService, ingest_all: Callable[[], None]) -> None:
    image_id = _ready(service, ingest_all, jpeg(50, 50))
    for owner, candidate in (("owner-b", image_id), (OWNER, "not-an-id"), (OWNER, "../" + image_id)):
        with pytest.raises(NotFound):
            service.get_image(owner, candidate)


def test_a_pending_image_is_a_conflict_for_downloads(service: ImageService) -> None:
    record = service.store_direct(OWNER, "t", b"x", "image/png", None)
    with pytest.raises(Conflict):
        service.download(OWNER, record.id, Variant.original, None)


def test_listing_pages_newest_first_by_status_and_title(
    service: ImageService, ingest_all: Callable[[], None], clock: Any
) -> None:
    ids = []
    for title in ("Beach day", "beach night", "Mountain"):
        ids.append(service.store_direct(OWNER, title, jpeg(20, 20), "image/jpeg", None).id)
        clock.advance(1)
    first = service.list_images(OWNER, limit=2, cursor=None, status=None, query=None)
    assert [i.id for i in first.items] == ids[::-1][:2] and first.next_cursor
    rest = service.list_images(OWNER, limit=2, cursor=first.next_cursor, status=None, query=None)
    assert [i.id for i in rest.items] == [ids[0]] and rest.next_cursor is None
    found = service.list_images(OWNER, limit=10, cursor=None, status=ImageStatus.pending, query="BEACH")
    assert {i.id for i in found.items} == set(ids[:2])


def test_changing_the_size_re_renders_display_and_the_title_alone_does_not(
    service: ImageService, store: MemoryObjectStore, ingest_all: Callable[[], None], clock: Any
) -> None:
    image_id = _ready(service, ingest_all, jpeg(400, 300))
    before = service.get_image(OWNER, image_id)
    clock.advance(5)
    renamed = service.update_image(OWNER, image_id, ImagePatch(title="renamed"))
    assert renamed.title == "renamed" and renamed.renditions == before.renditions
    assert renamed.updated_at == clock.now
    resized = service.update_image(OWNER, image_id, ImagePatch(width=80))
    display = resized.renditions["display"]
    assert (display.width, display.height) == (80, 60)
    assert store.content_type(display.key) == display.content_type
    back = service.update_image(OWNER, image_id, ImagePatch(width=None, height=None, fit=Fit.contain))
    assert back.renditions["display"].width in (80, before.renditions["compressed"].width)


def test_downloads_name_the_file_by_title_and_registry_extension(
    service: ImageService, ingest_all: Callable[[], None]
) -> None:
    image_id = _ready(service, ingest_all, jpeg(64, 64), title="holiday")
    original = service.download(OWNER, image_id, Variant.original, None)
    assert "filename=holiday.jpg" in original.url and "disposition=attachment" in original.url
    thumb = service.download(OWNER, image_id, Variant.thumbnail, None)
    assert "disposition=inline" in thumb.url
    assert original.cache_seconds == service.settings.download_url_ttl_seconds - 60


def test_on_demand_transforms_render_once_and_respect_the_cap(
    service: ImageService, store: MemoryObjectStore, ingest_all: Callable[[], None]
) -> None:
    image_id = _ready(service, ingest_all, jpeg(300, 200))
    webp = Transform(width=50, format=OutputFormat.webp)
    link = service.download(OWNER, image_id, Variant.original, webp)
    key = keys.rendition_key(OWNER, image_id, webp.name)
    assert "filename=photo.webp" in link.url and store.content_type(key) == "image/webp"
    service.download(OWNER, image_id, Variant.original, webp)  # served from the stored one
    cap = service.settings.max_renditions_per_image - 3
    for width in range(1, cap):
        service.download(OWNER, image_id, Variant.original, Transform(width=width + 60))
    with pytest.raises(TooManyRequests):
        service.download(OWNER, image_id, Variant.original, Transform(width=10))


# ---------------------------------------------------------------- predictions


class CountingPredictor:
    """A Predictor port that answers one OCR line and counts how often the model ran."""

    def __init__(self) -> None:
        self.runs = 0

    def model_info(self, task: str) -> tuple[str, str]:
        return f"{task}-model", "1"

    def run(self, task: str, data: bytes) -> tuple[list[dict[str, object]], float]:
        self.runs += 1
        return [{"text": f"{len(data)} bytes", "confidence": 0.9, "box": [0, 0, 1, 1]}], 1.5


def test_a_prediction_runs_the_model_once_and_answers_the_stored_result_after(
    service: ImageService, ingest_all: Callable[[], None]
) -> None:
    predictor = CountingPredictor()
    predictions = PredictionService(images=service, predictor=predictor)
    image_id = _ready(service, ingest_all, jpeg(64, 64))
    first = predictions.predict(OWNER, image_id, "ocr")
    again = predictions.predict(OWNER, image_id, "ocr")
    assert predictor.runs == 1 and again == first and first.model == "ocr-model"
    with pytest.raises(NotFound):
        predictions.predict("owner-b", image_id, "ocr")
    pending = service.store_direct(OWNER, "t", b"x", "image/png", None)
    with pytest.raises(Conflict):
        predictions.predict(OWNER, pending.id, "ocr")
    assert predictor.runs == 1
