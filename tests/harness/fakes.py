"""In-memory implementations of the domain's ports (imageapi.domain.ports), for unit tests of
the use cases. They keep the contract the DynamoDB and S3 adapters keep (conditional state
changes, quota, duplicate markers, the transform cap, first prediction wins), which the
integration suites check against moto; here they let a use case run without any server."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from imageapi.domain.errors import NotFound, PayloadTooLarge, QuotaExceeded
from imageapi.domain.models import ImageRecord, ImageStatus, UploadForm
from imageapi.domain.ports import Page, Quota
from imageapi.domain.search import normalise


@dataclass
class MemoryRepository:
    records: dict[tuple[str, str], ImageRecord] = field(default_factory=dict)
    usage: dict[str, tuple[int, int]] = field(default_factory=dict)  # owner -> (images, bytes)
    markers: dict[tuple[str, str], str] = field(default_factory=dict)  # (owner, sha256) -> id
    transforms: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    predictions: dict[tuple[str, str, str, str], str] = field(default_factory=dict)

    def _count(self, owner: str, images: int, bytes_: int) -> None:
        have_images, have_bytes = self.usage.get(owner, (0, 0))
        self.usage[owner] = (have_images + images, have_bytes + bytes_)

    def create_pending(self, record: ImageRecord, *, expires_at: int, quota: Quota) -> None:
        if (record.owner, record.id) in self.records:
            return  # the same id again: a retried write that had committed
        images, used = self.usage.get(record.owner, (0, 0))
        if images >= quota.max_images or used + record.declared_bytes > quota.max_bytes:
            raise QuotaExceeded(f"quota of {quota.max_images} images or {quota.max_bytes} bytes reached")
        self.records[(record.owner, record.id)] = record
        self._count(record.owner, 1, record.declared_bytes)

    def get(self, owner: str, image_id: str) -> ImageRecord | None:
        return self.records.get((owner, image_id))

    def list_page(
        self, owner: str, *, limit: int, cursor: str | None, status: ImageStatus | None, query: str | None
    ) -> Page:
        wanted = normalise(query) if query else None
        matching = sorted(
            (
                r
                for (o, _), r in self.records.items()
                if o == owner
                and (status is None or r.status is status)
                and (wanted is None or wanted in normalise(r.title))
                and (cursor is None or r.id < cursor)
            ),
            key=lambda r: r.id,
            reverse=True,
        )
        page = matching[:limit]
        more = len(matching) > limit
        return Page(records=page, next_cursor=page[-1].id if more and page else None, scanned=len(matching))

    def find_ready_by_sha256(self, owner: str, sha256: str) -> ImageRecord | None:
        image_id = self.markers.get((owner, sha256))
        record = self.get(owner, image_id) if image_id else None
        return record if record and record.status is ImageStatus.ready else None

    def _transition(self, record: ImageRecord, *, byte_delta: int, image_delta: int) -> bool:
        current = self.get(record.owner, record.id)
        if current is None or current.status is not ImageStatus.pending:
            return False
        self.records[(record.owner, record.id)] = record
        self._count(record.owner, image_delta, byte_delta)
        if record.status is ImageStatus.ready and record.sha256:
            self.markers[(record.owner, record.sha256)] = record.id
        return True

    def complete(self, record: ImageRecord, *, byte_delta: int) -> bool:
        return self._transition(record, byte_delta=byte_delta, image_delta=0)

    def reject(self, record: ImageRecord) -> bool:
        return self._transition(record, byte_delta=-record.declared_bytes, image_delta=-1)

    def update(self, record: ImageRecord, *, old_title: str) -> None:
        if (record.owner, record.id) not in self.records:
            raise NotFound(f"no image with id {record.id!r}")
        self.records[(record.owner, record.id)] = record

    def claim_transform(self, owner: str, image_id: str, name: str, cap: int) -> bool:
        if (owner, image_id) not in self.records:
            return False
        claimed = self.transforms.setdefault((owner, image_id), set())
        if name in claimed or len(claimed) < cap:
            claimed.add(name)
            return True
        return False

    def get_prediction(self, owner: str, image_id: str, task: str, version: str) -> str | None:
        return self.predictions.get((owner, image_id, task, version))

    def put_prediction(self, owner: str, image_id: str, task: str, version: str, doc: str) -> None:
        self.predictions.setdefault((owner, image_id, task, version), doc)

    def delete(self, record: ImageRecord, *, counted_bytes: int) -> bool:
        if self.records.pop((record.owner, record.id), None) is None:
            return False
        if record.status is not ImageStatus.rejected:
            self._count(record.owner, -1, -counted_bytes)
        if record.sha256 and self.markers.get((record.owner, record.sha256)) == record.id:
            del self.markers[(record.owner, record.sha256)]
        self.transforms.pop((record.owner, record.id), None)
        for key in [k for k in self.predictions if k[:2] == (record.owner, record.id)]:
            del self.predictions[key]
        return True


@dataclass
class MemoryObjectStore:
    objects: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    bucket: str = "memory"

    def presigned_post(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> UploadForm:
        fields = {"key": key, "Content-Type": content_type, "max-bytes": str(max_bytes)}
        return UploadForm(
            url=f"memory://{self.bucket}", fields=fields, expires_at=datetime.now(UTC) + timedelta(seconds=expires_in)
        )

    def presigned_get(
        self,
        key: str,
        expires_in: int,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        inline: bool = False,
    ) -> str:
        disposition = "inline" if inline else "attachment"
        return f"memory://{self.bucket}/{key}?filename={filename}&type={content_type}&disposition={disposition}"

    def get(self, key: str, max_bytes: int | None = None) -> bytes | None:
        found = self.objects.get(key)
        if found is None:
            return None
        if max_bytes is not None and len(found[0]) > max_bytes:
            raise PayloadTooLarge(f"object is larger than {max_bytes} bytes")
        return found[0]

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = (data, content_type)

    def copy(self, source_key: str, target_key: str) -> bool:
        if source_key not in self.objects:
            return False
        self.objects[target_key] = self.objects[source_key]
        return True

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def delete_prefix(self, prefix: str) -> int:
        doomed = [key for key in self.objects if key.startswith(prefix)]
        for key in doomed:
            del self.objects[key]
        return len(doomed)

    def content_type(self, key: str) -> str | None:
        found = self.objects.get(key)
        return found[1] if found else None

    def keys(self, prefix: str = "") -> list[str]:
        return sorted(key for key in self.objects if key.startswith(prefix))
