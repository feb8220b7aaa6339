"""The use cases the API handlers call. No HTTP, no Pillow: plain domain logic over the
repository and object-store interfaces, so it can be tested with any implementation."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from imageapi import keys
from imageapi.errors import Conflict, ImageWasRejected, NotFound, PayloadTooLarge, UnsupportedMediaType
from imageapi.ids import is_image_id, new_image_id
from imageapi.models import (
    ALLOWED_CONTENT_TYPES,
    Analysis,
    CreatedUpload,
    CreateUploadRequest,
    DuplicateImage,
    ImageOut,
    ImagePage,
    ImageRecord,
    ImageStatus,
)
from imageapi.repository import ImageRepository, Quota
from imageapi.settings import Settings
from imageapi.storage import ObjectStore


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ImageService:
    repository: ImageRepository
    store: ObjectStore
    settings: Settings
    clock: Callable[[], datetime] = field(default=utcnow)

    @property
    def quota(self) -> Quota:
        return Quota(max_images=self.settings.quota_max_images, max_bytes=self.settings.quota_max_bytes)

    # ------------------------------------------------------------------ create
    def create_upload(self, owner: str, request: CreateUploadRequest) -> CreatedUpload | DuplicateImage:
        """SPEC §3.2 way 1: a pending record and a presigned POST form bound to it."""
        if request.content_type not in ALLOWED_CONTENT_TYPES:
            raise UnsupportedMediaType(
                f"content type {request.content_type!r} is not accepted; use one of {', '.join(ALLOWED_CONTENT_TYPES)}"
            )
        if request.size > self.settings.max_upload_bytes:
            raise PayloadTooLarge(
                f"size {request.size} exceeds the upload limit of {self.settings.max_upload_bytes} bytes"
            )
        if request.sha256:
            existing = self.repository.find_ready_by_sha256(owner, request.sha256)
            if existing:
                return DuplicateImage(image=ImageOut.of(existing))
        record = self._new_pending(owner, request.title, request.content_type, request.size, request.resize)
        form = self.store.presigned_post(
            keys.incoming_key(owner, record.id),
            content_type=request.content_type,
            max_bytes=request.size,
            expires_in=self.settings.upload_url_ttl_seconds,
        )
        return CreatedUpload(image=ImageOut.of(record), upload=form)

    def _new_pending(self, owner: str, title: str, content_type: str, size: int, resize) -> ImageRecord:
        now = self.clock()
        record = ImageRecord(
            id=new_image_id(int(now.timestamp() * 1000)),
            owner=owner,
            title=title,
            status=ImageStatus.pending,
            content_type=content_type,
            declared_bytes=size,
            created_at=now,
            updated_at=now,
            resize=resize if resize and not resize.is_empty() else None,
        )
        expires_at = int(now.timestamp()) + self.settings.pending_ttl_seconds
        self.repository.create_pending(record, expires_at=expires_at, quota=self.quota)
        return record

    # ------------------------------------------------------------------ read
    def get_image(self, owner: str, image_id: str) -> ImageRecord:
        # A foreign id and an unknown id are indistinguishable: the key includes the owner.
        record = self.repository.get(owner, image_id) if is_image_id(image_id) else None
        if record is None:
            raise NotFound(f"no image with id {image_id!r}")
        return record

    def list_images(
        self, owner: str, *, limit: int, cursor: str | None, status: ImageStatus | None, query: str | None
    ) -> ImagePage:
        page = self.repository.list_page(owner, limit=limit, cursor=cursor, status=status, query=query)
        return ImagePage(items=[ImageOut.of(r) for r in page.records], next_cursor=page.next_cursor)

    def get_analysis(self, owner: str, image_id: str) -> Analysis:
        record = self.get_image(owner, image_id)
        if record.status is ImageStatus.pending:
            raise Conflict("the image is still being processed; try again shortly")
        if record.status is ImageStatus.rejected or record.analysis is None:
            raise ImageWasRejected(
                f"the image was rejected: {record.rejection_reason}",
                extensions={"rejection_reason": record.rejection_reason},
            )
        return record.analysis
