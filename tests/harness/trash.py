"""In-memory fakes for the trash (imageapi.domain.trash): the records side over a
``MemoryRepository`` and a versioned object store. They keep the contract the DynamoDB and S3
adapters keep (moves are conditional, quota in the same step, the duplicate marker goes and
comes back only when free, expired items are gone), which the integration suites check on moto."""

from dataclasses import dataclass, field
from datetime import datetime

from imageapi.domain.errors import QuotaExceeded
from imageapi.domain.models import ImageRecord, ImageStatus
from imageapi.domain.ports import Quota
from imageapi.domain.search import normalise
from imageapi.domain.trash import TrashedImage, TrashPage, counted_bytes, counts_toward_quota
from tests.harness.fakes import MemoryObjectStore, MemoryRepository


@dataclass
class MemoryTrash:
    live: MemoryRepository
    items: dict[tuple[str, str], TrashedImage] = field(default_factory=dict)

    def trash(self, record: ImageRecord, *, deleted_at: datetime, purge_at: datetime) -> bool:
        key = (record.owner, record.id)
        if self.live.records.pop(key, None) is None:
            return False
        self.items[key] = TrashedImage(record=record, deleted_at=deleted_at, purge_at=purge_at)
        if counts_toward_quota(record):
            self.live._count(record.owner, -1, -counted_bytes(record))
        if record.sha256 and self.live.markers.get((record.owner, record.sha256)) == record.id:
            del self.live.markers[(record.owner, record.sha256)]
        for doomed in [k for k in self.live.predictions if k[:2] == key]:
            del self.live.predictions[doomed]
        return True

    def get_trashed(self, owner: str, image_id: str, *, now: datetime) -> TrashedImage | None:
        found = self.items.get((owner, image_id))
        return found if found and found.purge_at > now else None

    def restore(self, owner: str, image_id: str, *, now: datetime, quota: Quota) -> ImageRecord | None:
        found = self.get_trashed(owner, image_id, now=now)
        if found is None:
            return None
        record = found.record
        if counts_toward_quota(record):
            images, used = self.live.usage.get(owner, (0, 0))
            if images >= quota.max_images or used + counted_bytes(record) > quota.max_bytes:
                raise QuotaExceeded("restoring would exceed the quota")
            self.live._count(owner, 1, counted_bytes(record))
        del self.items[(owner, image_id)]
        self.live.records[(owner, image_id)] = record
        if record.status is ImageStatus.ready and record.sha256:
            self.live.markers.setdefault((owner, record.sha256), record.id)
        return record

    def forget(self, owner: str, image_id: str) -> bool:
        return self.items.pop((owner, image_id), None) is not None

    def list_trash(self, owner: str, *, limit: int, cursor: str | None, query: str | None, now: datetime) -> TrashPage:
        wanted = normalise(query) if query else None
        matching = sorted(
            (
                t
                for (o, _), t in self.items.items()
                if o == owner and t.purge_at > now and (wanted is None or wanted in normalise(t.record.title))
            ),
            key=lambda t: (t.deleted_at, t.record.id),
            reverse=True,
        )
        if cursor is not None:
            matching = matching[[t.record.id for t in matching].index(cursor) + 1 :]
        page = matching[:limit]
        more = len(matching) > limit
        return TrashPage(items=page, next_cursor=page[-1].record.id if more and page else None, scanned=len(matching))


@dataclass
class MemoryVersionedStore(MemoryObjectStore):
    """A versioned bucket: every put is a version, a delete adds a delete marker (None)."""

    history: dict[str, list[tuple[bytes, str] | None]] = field(default_factory=dict)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        super().put(key, data, content_type)
        self.history.setdefault(key, []).append((data, content_type))

    def copy(self, source_key: str, target_key: str) -> bool:
        if source_key not in self.objects:
            return False
        self.put(target_key, *self.objects[source_key])
        return True

    def delete(self, key: str) -> None:
        super().delete(key)
        self.history.setdefault(key, []).append(None)

    def delete_prefix(self, prefix: str) -> int:
        doomed = [key for key in self.objects if key.startswith(prefix)]
        for key in doomed:
            self.delete(key)
        return len(doomed)

    def undelete_prefix(self, prefix: str) -> list[str]:
        restored = []
        for key, versions in self.history.items():
            if key.startswith(prefix):
                versions[:] = [v for v in versions if v is not None]
                if versions:
                    self.objects[key] = versions[-1]
                    restored.append(key)
        return sorted(restored)

    def purge_prefix(self, prefix: str) -> int:
        doomed = [key for key in self.history if key.startswith(prefix)]
        count = sum(len(self.history.pop(key)) for key in doomed)
        for key in doomed:
            self.objects.pop(key, None)
        return count

    def versions(self, prefix: str = "") -> int:
        return sum(len(v) for k, v in self.history.items() if k.startswith(prefix))
