"""The use cases the API handlers call. No HTTP, no Pillow: plain domain logic over the
repository and object-store interfaces, so it can be tested with any implementation."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from imageapi.domain import keys
from imageapi.domain.delivery import PrefixSigner, RenditionSigner
from imageapi.domain.edge import build_srcset, edge_version, version_prefix
from imageapi.domain.embedded import embed_renditions
from imageapi.domain.errors import (
    BadRequest,
    Conflict,
    ImageWasRejected,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    UnsupportedMediaType,
)
from imageapi.domain.formats import ALLOWED_CONTENT_TYPES, extension_for, refusal, sniff
from imageapi.domain.ids import is_image_id, new_image_id
from imageapi.domain.models import (
    Analysis,
    CreatedUpload,
    CreateUploadRequest,
    DuplicateImage,
    ImageOut,
    ImagePage,
    ImagePatch,
    ImageRecord,
    ImageStatus,
    ImportFromUrlRequest,
    OutputFormat,
    Rendition,
    ResizeSpec,
    Transform,
    Variant,
)
from imageapi.domain.ports import Fetcher, ImageRepository, ObjectStore, Quota, Renderer
from imageapi.domain.renditions import store_rendition
from imageapi.settings import Settings

STANDARD_RENDITIONS = 3  # thumbnail, compressed, display: they count toward the cap too


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Download:
    url: str
    expires_at: datetime
    cache_seconds: int


@dataclass
class ImageService:
    repository: ImageRepository
    store: ObjectStore
    settings: Settings
    renderer: Renderer  # PATCH re-renders and on-demand transforms
    fetcher: Fetcher  # URL import (SSRF-guarded)
    clock: Callable[[], datetime] = field(default=utcnow)
    signer: RenditionSigner | None = None  # embedded rendition URLs (SPEC §3.10); None: links only
    srcset_signer: PrefixSigner | None = None  # the srcset (CloudFront only); None: the signer, if it can

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
        if reason := refusal(request.content_type, heic=self.settings.heic_enabled):
            raise UnsupportedMediaType(reason)
        if request.size > self.settings.max_upload_bytes:
            raise PayloadTooLarge(
                f"size {request.size} exceeds the upload limit of {self.settings.max_upload_bytes} bytes"
            )
        if request.sha256:
            existing = self.repository.find_ready_by_sha256(owner, request.sha256)
            if existing:
                return DuplicateImage(image=self.present(existing))
        record = self._new_pending(owner, request.title, request.content_type, request.size, request.resize)
        form = self.store.presigned_post(
            keys.incoming_key(owner, record.id),
            content_type=request.content_type,
            max_bytes=request.size,
            expires_in=self.settings.upload_url_ttl_seconds,
        )
        return CreatedUpload(image=self.present(record), upload=form)

    def _new_pending(
        self, owner: str, title: str, content_type: str, size: int, resize: ResizeSpec | None
    ) -> ImageRecord:
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
        self,
        owner: str,
        *,
        limit: int,
        cursor: str | None,
        status: ImageStatus | None,
        query: str | None,
        embed: bool = True,
    ) -> ImagePage:
        page = self.repository.list_page(owner, limit=limit, cursor=cursor, status=status, query=query)
        present = self.present if embed else ImageOut.of  # embed=False: links only, nothing signed
        return ImagePage(items=[present(r) for r in page.records], next_cursor=page.next_cursor)

    def get_analysis(self, owner: str, image_id: str) -> Analysis:
        record = self.get_image(owner, image_id)
        self.require_ready(record)
        assert record.analysis is not None  # ready records always carry their analysis
        return record.analysis

    # ------------------------------------------------------------------ other ways in
    def import_from_url(self, owner: str, request: ImportFromUrlRequest) -> ImageRecord:
        """SPEC §3.2 way 2: fetch (SSRF-guarded by the ``fetcher``) and hand the bytes to ingest."""
        data, content_type = self.fetcher(request.source_url)
        return self.store_direct(
            owner, request.title, data, content_type, request.resize, limit=self.settings.max_upload_bytes
        )

    def store_direct(
        self,
        owner: str,
        title: str,
        data: bytes,
        content_type: str | None,
        resize: ResizeSpec | None,
        *,
        limit: int | None = None,
    ) -> ImageRecord:
        """Bytes that reached us directly (small upload or URL import) take the same road as a
        presigned upload: into ``incoming/``, where ingest validates them like any other."""
        limit = self.settings.max_direct_upload_bytes if limit is None else limit
        if not data:
            raise BadRequest("the file is empty")
        if len(data) > limit:
            raise PayloadTooLarge(
                f"{len(data)} bytes is over the {limit}-byte limit for this way in; for larger files ask for a "
                "presigned upload: POST /images with JSON {title, content_type, size}"
            )
        if reason := refusal(sniff(data[:64]), heic=self.settings.heic_enabled):
            raise UnsupportedMediaType(reason)  # known now, no need to wait for ingest
        declared = content_type if content_type in ALLOWED_CONTENT_TYPES else "application/octet-stream"
        record = self._new_pending(owner, title, declared, len(data), resize)
        self.store.put(keys.incoming_key(owner, record.id), data, declared)
        return record

    # ------------------------------------------------------------------ change
    def update_image(self, owner: str, image_id: str, patch: ImagePatch) -> ImageRecord:
        record = self.get_image(owner, image_id)
        changes: dict[str, object] = {"updated_at": self.clock()}
        if patch.title is not None:
            changes["title"] = patch.title
        if patch.changes_size:
            self.require_ready(record)
            current = record.resize or ResizeSpec()
            resize = ResizeSpec(
                width=patch.width if patch.width is not None else current.width,
                height=patch.height if patch.height is not None else current.height,
                fit=patch.fit or current.fit,
            )
            changes["resize"] = None if resize.is_empty() else resize
            changes["renditions"] = {**record.renditions, "display": self._render_display(record, resize)}
        updated = record.model_copy(update=changes)
        self.repository.update(updated, old_title=record.title)
        if patch.changes_size and (old := edge_version(record)) != edge_version(updated):
            # The old version's edge renditions: its URLs now answer 404 (never the new pixels).
            self.store.delete_prefix(version_prefix(record.owner, record.id, old))
        return updated

    def _render_display(self, record: ImageRecord, resize: ResizeSpec) -> Rendition:
        if resize.is_empty():
            return record.renditions["compressed"]
        original = self.original_bytes(record)
        rendered = self.renderer.render(original, width=resize.width, height=resize.height, fit=resize.fit.value)
        return store_rendition(self.store, record.owner, record.id, "display", rendered)

    # ------------------------------------------------------------------ download
    def download(self, owner: str, image_id: str, variant: Variant, transform: Transform | None) -> Download:
        record = self.get_image(owner, image_id)
        self.require_ready(record)
        ttl = self.settings.download_url_ttl_seconds
        title = record.title
        if transform is not None:
            if transform.format is OutputFormat.auto:  # the edge resolves it from Accept first
                raise BadRequest("format=auto must be resolved from the Accept header before download")
            key, content_type = self._transform(record, transform)
            disposition, inline = f"{title}.{extension_for(content_type)}", False
        elif variant is Variant.original:
            key, content_type = keys.original_key(owner, record.id), record.content_type
            disposition, inline = f"{title}.{extension_for(record.content_type)}", False
        else:
            rendition = record.renditions[variant.value]
            key, content_type = rendition.key, rendition.content_type
            disposition = f"{title}.{extension_for(rendition.content_type)}"
            inline = variant in (Variant.display, Variant.thumbnail)
        url = self.store.presigned_get(key, ttl, filename=disposition, content_type=content_type, inline=inline)
        # Browsers may reuse the redirect a little less long than the URL stays valid.
        return Download(url=url, expires_at=self.clock() + timedelta(seconds=ttl), cache_seconds=max(0, ttl - 60))

    def _transform(self, record: ImageRecord, transform: Transform) -> tuple[str, str]:
        """The canonical key of an on-demand rendition and its content type, rendering it first
        when it does not exist yet (once per distinct transform, within the per-image cap)."""
        key = keys.rendition_key(record.owner, record.id, transform.name)
        existing = self.store.content_type(key)
        if existing:
            return key, existing
        cap = self.settings.max_renditions_per_image - STANDARD_RENDITIONS
        if not self.repository.claim_transform(record.owner, record.id, transform.name, cap):
            raise TooManyRequests(
                f"this image already has the maximum of {self.settings.max_renditions_per_image} renditions; "
                "reuse an existing size or format"
            )
        rendered = self.renderer.render(
            self.original_bytes(record),
            width=transform.width,
            height=transform.height,
            fit=transform.fit.value,
            format=transform.format.value if transform.format else None,
            quality=transform.quality,
        )
        self.store.put(key, rendered.data, rendered.content_type)
        return key, rendered.content_type

    # ------------------------------------------------------------------ helpers
    def present(self, record: ImageRecord) -> ImageOut:
        """The image object of SPEC §3.4 for the record's owner (every caller got ``record``
        through an owner-scoped read), with signed rendition URLs once it is ready."""
        embedded = srcset = None
        if self.signer is not None and record.status is ImageStatus.ready:
            embedded = embed_renditions(record.renditions, record.updated_at, self.signer)
            prefix_signer = self.srcset_signer or (self.signer if isinstance(self.signer, PrefixSigner) else None)
            if prefix_signer is not None:  # the CDN renders every width (issue 20)
                srcset = build_srcset(record, prefix_signer, self.settings.edge_widths)
        return ImageOut.of(record, embedded, srcset)

    def require_ready(self, record: ImageRecord) -> None:
        """409 unless the image is ready: still pending, or rejected (with its reason)."""
        if record.status is ImageStatus.pending:
            raise Conflict("the image is still being processed; try again shortly")
        if record.status is ImageStatus.rejected:
            raise ImageWasRejected(
                f"the image was rejected: {record.rejection_reason}",
                extensions={"rejection_reason": record.rejection_reason},
            )

    def original_bytes(self, record: ImageRecord) -> bytes:
        data = self.store.get(keys.original_key(record.owner, record.id))
        if data is None:
            raise NotFound(f"no image with id {record.id!r}")
        return data
