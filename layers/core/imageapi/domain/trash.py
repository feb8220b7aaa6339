"""Deletes that can be undone (SPEC §3.4): the trash, restore within the retention window, and
the permanent purge.

The objects: the bucket is versioned. Moving an image to the trash deletes its objects, which
leaves their bytes as noncurrent versions; the bucket's lifecycle expires noncurrent versions
after the retention window, so the purge of the bytes needs no code of ours at all. Restore
removes the delete markers, which makes the very same versions current again (identical bytes,
no copy). The record: it moves from ``IMAGE#{id}`` to ``TRASH#{id}``, so every read of a live
image (get, download, analysis, predictions, ingest, lists, search) misses it without a check
of its own; the trash item carries a TTL (``expires_at`` = purge time) and reads treat an item
past it as gone even while DynamoDB has not yet removed it (TTL deletes lazily).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from imageapi.domain import keys
from imageapi.domain.delivery import CdnCache
from imageapi.domain.edge import image_prefix
from imageapi.domain.errors import NotFound, QuotaExceeded
from imageapi.domain.ids import is_image_id
from imageapi.domain.images import utcnow
from imageapi.domain.models import ImageOut, ImagePage, ImageRecord, ImageStatus
from imageapi.domain.ports import ImageRepository, ObjectStore, Quota
from imageapi.settings import Settings


def counted_bytes(record: ImageRecord) -> int:
    """The bytes an image holds against the owner's quota (its original once ingested)."""
    return record.original.bytes if record.original else record.declared_bytes


def counts_toward_quota(record: ImageRecord) -> bool:
    return record.status is not ImageStatus.rejected  # a rejected upload gave its reservation back


def kept_prefixes(owner: str, image_id: str) -> list[str]:
    """What the trash keeps (as noncurrent versions): the original and the renditions. An
    ``incoming/`` object never outlives ingest (and expires after a day anyway)."""
    return [prefix for prefix in keys.image_prefixes(owner, image_id) if not prefix.startswith(keys.INCOMING)]


@dataclass(frozen=True)
class TrashedImage:
    record: ImageRecord  # as it was when deleted (status ready or rejected)
    deleted_at: datetime
    purge_at: datetime

    def out(self) -> ImageOut:
        # Built from a "deleted" copy, so no rendition URL is ever embedded for bytes in the trash.
        shown = ImageOut.of(self.record.model_copy(update={"status": ImageStatus.deleted}))
        return shown.model_copy(update={"deleted_at": self.deleted_at, "purge_at": self.purge_at})


@dataclass(frozen=True)
class TrashPage:
    items: list[TrashedImage]
    next_cursor: str | None
    scanned: int  # items read for this page (DynamoDB's ScannedCount)


class TrashBin(Protocol):
    """The records side of the trash (adapters/dynamodb/trash.py; an in-memory fake in tests)."""

    def trash(self, record: ImageRecord, *, deleted_at: datetime, purge_at: datetime) -> bool:
        """Live record -> trash, quota given back, duplicate marker dropped, title index removed,
        stored predictions dropped; one transaction for the state change and the quota. False
        when the live record was already gone."""
        ...

    def get_trashed(self, owner: str, image_id: str, *, now: datetime) -> TrashedImage | None: ...

    def restore(self, owner: str, image_id: str, *, now: datetime, quota: Quota) -> ImageRecord | None:
        """Trash -> live record, quota taken again (QuotaExceeded when it does not fit), the
        duplicate marker back unless a newer image holds it. None when not in the trash or past
        its window."""
        ...

    def forget(self, owner: str, image_id: str) -> bool:
        """Remove a trashed record for good (the permanent delete of an image in the trash)."""
        ...

    def list_trash(self, owner: str, *, limit: int, cursor: str | None, query: str | None, now: datetime) -> TrashPage:
        """Newest deletion first; expired items are skipped."""
        ...


class ObjectVersions(Protocol):
    """The versioned side of the bucket (adapters/s3_versions.py)."""

    def undelete_prefix(self, prefix: str) -> list[str]:
        """Remove the delete markers under ``prefix``; answer the keys that have bytes again."""
        ...

    def purge_prefix(self, prefix: str) -> int:
        """Delete every version and delete marker under ``prefix``; answer how many."""
        ...


@dataclass
class TrashService:
    repository: ImageRepository
    bin: TrashBin
    store: ObjectStore
    versions: ObjectVersions
    settings: Settings
    clock: Callable[[], datetime] = field(default=utcnow)
    cdn: CdnCache | None = None  # the renditions CDN (DeliveryMode=cdn in AWS); None: nothing cached

    @property
    def quota(self) -> Quota:
        return Quota(max_images=self.settings.quota_max_images, max_bytes=self.settings.quota_max_bytes)

    @property
    def retention(self) -> timedelta:
        return timedelta(days=self.settings.trash_retention_days)

    def delete(self, owner: str, image_id: str, *, permanent: bool = False) -> None:
        """``DELETE /images/{id}``: into the trash, or (``permanent``) gone at once, from the
        trash too. A pending image has no accepted bytes to keep: it is removed at once."""
        record = self.repository.get(owner, image_id) if is_image_id(image_id) else None
        if record is None:
            if permanent and self._forget_trashed(owner, image_id):
                return
            raise NotFound(f"no image with id {image_id!r}")
        if permanent or record.status is ImageStatus.pending:
            self._purge_objects(owner, record.id)
            if not self.repository.delete(record, counted_bytes=counted_bytes(record)):
                raise NotFound(f"no image with id {image_id!r}")
            self._uncache(owner, record.id)
            return
        # Objects first, then the record: a delete that fails in between leaves a live record
        # that a retried DELETE completes (a second delete marker is harmless to restore).
        for prefix in keys.image_prefixes(owner, record.id):
            self.store.delete_prefix(prefix)
        now = self.clock()
        if not self.bin.trash(record, deleted_at=now, purge_at=now + self.retention):
            raise NotFound(f"no image with id {image_id!r}")
        self._uncache(owner, record.id)

    def _uncache(self, owner: str, image_id: str) -> None:
        """After the record is gone: the CDN drops its copies, and a miss finds no record (404)."""
        if self.cdn is not None:
            self.cdn.invalidate(image_prefix(owner, image_id))

    def restore(self, owner: str, image_id: str) -> ImageRecord:
        """``POST /images/{id}/restore``. After the window the image is gone: 404 like an unknown
        id (once DynamoDB's TTL has removed the item we could not tell it apart anyway)."""
        now = self.clock()
        trashed = self.bin.get_trashed(owner, image_id, now=now) if is_image_id(image_id) else None
        if trashed is None:
            raise NotFound(f"no image with id {image_id!r} in the trash")
        restored_keys: list[str] = []
        for prefix in kept_prefixes(owner, image_id):
            restored_keys += self.versions.undelete_prefix(prefix)
        if trashed.record.status is ImageStatus.ready and keys.original_key(owner, image_id) not in restored_keys:
            # The lifecycle already expired the bytes (its day granularity runs a little ahead).
            raise NotFound(f"no image with id {image_id!r} in the trash")
        try:
            record = self.bin.restore(owner, image_id, now=now, quota=self.quota)
        except QuotaExceeded:
            self._trash_objects(owner, image_id)  # back where they were: the record stays in the trash
            raise
        if record is None:  # a concurrent restore or purge got there first
            raise NotFound(f"no image with id {image_id!r} in the trash")
        return record

    def list_trash(self, owner: str, *, limit: int, cursor: str | None, query: str | None) -> ImagePage:
        page = self.bin.list_trash(owner, limit=limit, cursor=cursor, query=query, now=self.clock())
        return ImagePage(items=[item.out() for item in page.items], next_cursor=page.next_cursor)

    def _forget_trashed(self, owner: str, image_id: str) -> bool:
        if not is_image_id(image_id) or self.bin.get_trashed(owner, image_id, now=self.clock()) is None:
            return False
        self._purge_objects(owner, image_id)
        forgotten = self.bin.forget(owner, image_id)
        self._uncache(owner, image_id)
        return forgotten

    def _trash_objects(self, owner: str, image_id: str) -> None:
        for prefix in kept_prefixes(owner, image_id):
            self.store.delete_prefix(prefix)

    def _purge_objects(self, owner: str, image_id: str) -> None:
        for prefix in keys.image_prefixes(owner, image_id):
            self.versions.purge_prefix(prefix)
