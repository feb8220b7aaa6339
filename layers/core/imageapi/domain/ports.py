"""The ports the use cases depend on. Adapters implement them (``imageapi.adapters``); the use
cases and their unit tests only see these shapes, so any implementation (DynamoDB and S3, or the
in-memory fakes of the tests) will do, and functions without pixels never import Pillow."""

from dataclasses import dataclass, field
from typing import Protocol

from imageapi.domain.models import Analysis, ImageRecord, ImageStatus, ResizeSpec, UploadForm


@dataclass(frozen=True)
class Quota:
    max_images: int
    max_bytes: int


@dataclass(frozen=True)
class Page:
    records: list[ImageRecord]
    next_cursor: str | None
    scanned: int  # items DynamoDB read for this page (ScannedCount), for tests and benchmarks


class ImageRepository(Protocol):
    def create_pending(self, record: ImageRecord, *, expires_at: int, quota: Quota) -> None: ...
    def get(self, owner: str, image_id: str) -> ImageRecord | None: ...
    def list_page(
        self, owner: str, *, limit: int, cursor: str | None, status: ImageStatus | None, query: str | None
    ) -> Page: ...
    def find_ready_by_sha256(self, owner: str, sha256: str) -> ImageRecord | None: ...
    def complete(self, record: ImageRecord, *, byte_delta: int) -> bool: ...
    def reject(self, record: ImageRecord) -> bool: ...
    def update(self, record: ImageRecord, *, old_title: str) -> None: ...
    def claim_transform(self, owner: str, image_id: str, name: str, cap: int) -> bool: ...
    def get_prediction(self, owner: str, image_id: str, task: str, version: str) -> str | None: ...
    def put_prediction(self, owner: str, image_id: str, task: str, version: str, doc: str) -> None: ...
    def delete(self, record: ImageRecord, *, counted_bytes: int) -> bool: ...


class ObjectStore(Protocol):
    def presigned_post(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> UploadForm: ...
    def presigned_get(
        self,
        key: str,
        expires_in: int,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        inline: bool = False,
    ) -> str: ...
    def get(self, key: str, max_bytes: int | None = None) -> bytes | None: ...
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def copy(self, source_key: str, target_key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str) -> int: ...
    def content_type(self, key: str) -> str | None: ...


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
    timings_ms: dict[str, float] = field(default_factory=dict)  # where the processing time went


class Renderer(Protocol):
    """Makes a rendition from original bytes (PATCH re-renders, on-demand transforms)."""

    def render(
        self,
        data: bytes,
        *,
        width: int | None,
        height: int | None,
        fit: str,
        format: str | None = None,
        quality: int | None = None,
    ) -> RenderedImage: ...


class Processor(Protocol):
    """Validates, analyses and renders an upload (ingest). Raises ImageRejected."""

    def __call__(self, data: bytes, *, max_pixels: int, display: ResizeSpec | None = None) -> ProcessedUpload: ...


class Fetcher(Protocol):
    """Fetches a URL (SSRF-guarded) and answers its bytes and declared content type."""

    def __call__(self, url: str) -> tuple[bytes, str | None]: ...


class Predictor(Protocol):
    """Runs a model task on image bytes: (predictions, inference milliseconds)."""

    def model_info(self, task: str) -> tuple[str, str]: ...
    def run(self, task: str, data: bytes) -> tuple[list[dict[str, object]], float]: ...
