"""The trash use cases (imageapi.domain.trash) on the in-memory fakes, with real Pillow for the
uploads: delete into the trash, restore within the window, quota, duplicates, the permanent
purge, and the window's end. The DynamoDB/S3 side is checked in tests/integration/handlers."""

from collections.abc import Callable

import pytest

from imageapi.domain import keys
from imageapi.domain.errors import NotFound, QuotaExceeded
from imageapi.domain.images import ImageService
from imageapi.domain.models import CreateUploadRequest, DuplicateImage, ImageStatus, Transform, Variant
from imageapi.domain.trash import TrashService
from imageapi.settings import Settings
from tests.harness.fakes import MemoryRepository
from tests.harness.images import jpeg
from tests.harness.trash import MemoryTrash, MemoryVersionedStore
from tests.harness.usecases import OWNER, Clock

DAY = 86_400


@pytest.fixture
def store() -> MemoryVersionedStore:  # the bucket is versioned: the trash relies on it
    return MemoryVersionedStore()


@pytest.fixture
def bin(repository: MemoryRepository) -> MemoryTrash:
    return MemoryTrash(live=repository)


@pytest.fixture
def trash(
    repository: MemoryRepository, bin: MemoryTrash, store: MemoryVersionedStore, settings: Settings, clock: Clock
) -> TrashService:
    return TrashService(repository=repository, bin=bin, store=store, versions=store, settings=settings, clock=clock)


def _ready(service: ImageService, ingest_all: Callable[[], None], data: bytes, title: str = "photo") -> str:
    record = service.store_direct(OWNER, title, data, "image/jpeg", None)
    ingest_all()
    assert service.get_image(OWNER, record.id).status is ImageStatus.ready
    return record.id


def test_delete_hides_the_image_gives_quota_back_and_restore_brings_back_the_same_bytes(
    service: ImageService,
    trash: TrashService,
    store: MemoryVersionedStore,
    repository: MemoryRepository,
    ingest_all: Callable[[], None],
) -> None:
    data = jpeg(80, 60)
    image_id = _ready(service, ingest_all, data, title="sunset over sea")
    before = service.get_image(OWNER, image_id)
    used = repository.usage[OWNER]
    assert used == (1, len(data))

    trash.delete(OWNER, image_id)
    with pytest.raises(NotFound):
        service.get_image(OWNER, image_id)
    with pytest.raises(NotFound):
        service.download(OWNER, image_id, Variant.original, None)
    assert service.list_images(OWNER, limit=10, cursor=None, status=None, query="sunset").items == []
    assert service.list_images(OWNER, limit=10, cursor=None, status=None, query=None).items == []
    assert repository.usage[OWNER] == (0, 0)
    assert store.keys("originals/") == [] and store.versions("originals/") == 2  # the bytes and a delete marker
    listed = trash.list_trash(OWNER, limit=10, cursor=None, query=None).items
    assert [(i.id, i.status) for i in listed] == [(image_id, ImageStatus.deleted)]
    assert listed[0].purge_at is not None and listed[0].deleted_at is not None
    assert (listed[0].purge_at - listed[0].deleted_at).days == 30

    restored = trash.restore(OWNER, image_id)
    assert restored == before  # identical record: analysis, renditions, sha256
    assert service.original_bytes(restored) == data
    assert repository.usage[OWNER] == used
    assert [i.id for i in service.list_images(OWNER, limit=10, cursor=None, status=None, query="sunset").items] == [
        image_id
    ]
    assert trash.list_trash(OWNER, limit=10, cursor=None, query=None).items == []


def test_a_second_delete_and_a_foreign_owner_are_404(
    service: ImageService, trash: TrashService, ingest_all: Callable[[], None]
) -> None:
    image_id = _ready(service, ingest_all, jpeg(40, 40))
    with pytest.raises(NotFound):
        trash.delete("mallory", image_id)
    trash.delete(OWNER, image_id)
    with pytest.raises(NotFound):
        trash.delete(OWNER, image_id)
    with pytest.raises(NotFound):
        trash.restore("mallory", image_id)
    with pytest.raises(NotFound):
        trash.delete("mallory", image_id, permanent=True)
    with pytest.raises(NotFound):
        trash.restore(OWNER, "not-an-id")
    trash.restore(OWNER, image_id)
    with pytest.raises(NotFound):
        trash.restore(OWNER, image_id)  # restored already: no longer in the trash


def test_restore_after_the_window_is_404(
    service: ImageService, trash: TrashService, clock: Clock, ingest_all: Callable[[], None]
) -> None:
    image_id = _ready(service, ingest_all, jpeg(40, 40))
    trash.delete(OWNER, image_id)
    clock.advance(30 * DAY - 1)
    assert [i.id for i in trash.list_trash(OWNER, limit=5, cursor=None, query=None).items] == [image_id]
    clock.advance(1)
    assert trash.list_trash(OWNER, limit=5, cursor=None, query=None).items == []
    with pytest.raises(NotFound):
        trash.restore(OWNER, image_id)


def test_restore_over_quota_is_429_and_leaves_the_image_in_the_trash(
    service: ImageService,
    trash: TrashService,
    store: MemoryVersionedStore,
    settings: Settings,
    ingest_all: Callable[[], None],
) -> None:
    first = _ready(service, ingest_all, jpeg(40, 40, color=(1, 2, 3)))
    trash.delete(OWNER, first)
    for i in range(settings.quota_max_images):  # the freed slot is taken by new uploads
        _ready(service, ingest_all, jpeg(40, 40, color=(i * 40, 0, 0)), title=f"n{i}")
    with pytest.raises(QuotaExceeded):
        trash.restore(OWNER, first)
    assert store.keys(keys.original_key(OWNER, first)) == []  # still hidden
    assert [i.id for i in trash.list_trash(OWNER, limit=5, cursor=None, query=None).items] == [first]


def test_a_trashed_image_is_no_duplicate_and_restore_keeps_the_newer_copys_marker(
    service: ImageService, trash: TrashService, repository: MemoryRepository, ingest_all: Callable[[], None]
) -> None:
    data = jpeg(50, 50)
    old = _ready(service, ingest_all, data)
    sha = service.get_image(OWNER, old).sha256
    assert sha
    trash.delete(OWNER, old)
    again = service.create_upload(
        OWNER, CreateUploadRequest(title="t", content_type="image/jpeg", size=len(data), sha256=sha)
    )
    assert not isinstance(again, DuplicateImage)
    new = _ready(service, ingest_all, data, title="new copy")
    trash.restore(OWNER, old)
    assert repository.markers[(OWNER, sha)] == new  # one marker, still the newer image's
    dup = service.create_upload(
        OWNER, CreateUploadRequest(title="t", content_type="image/jpeg", size=len(data), sha256=sha)
    )
    assert isinstance(dup, DuplicateImage) and dup.image.id == new


def test_permanent_delete_removes_every_version_from_live_and_from_trash(
    service: ImageService,
    trash: TrashService,
    store: MemoryVersionedStore,
    repository: MemoryRepository,
    bin: MemoryTrash,
    ingest_all: Callable[[], None],
) -> None:
    live = _ready(service, ingest_all, jpeg(60, 40))
    service.download(OWNER, live, Variant.original, Transform(width=20))  # an on-demand rendition too
    trashed = _ready(service, ingest_all, jpeg(40, 60), title="other")
    trash.delete(OWNER, trashed)
    trash.delete(OWNER, live, permanent=True)
    trash.delete(OWNER, trashed, permanent=True)
    assert store.versions() == 0 and store.keys() == []
    assert repository.records == {} and bin.items == {} and repository.markers == {}
    assert repository.usage[OWNER] == (0, 0)
    for image_id in (live, trashed):
        with pytest.raises(NotFound):
            trash.delete(OWNER, image_id, permanent=True)
        with pytest.raises(NotFound):
            trash.restore(OWNER, image_id)


def test_deleting_a_pending_image_removes_it_at_once(
    service: ImageService, trash: TrashService, bin: MemoryTrash, repository: MemoryRepository
) -> None:
    record = service.store_direct(OWNER, "never ingested", jpeg(20, 20), "image/jpeg", None)
    trash.delete(OWNER, record.id)
    assert bin.items == {} and repository.usage[OWNER] == (0, 0)
    with pytest.raises(NotFound):
        trash.restore(OWNER, record.id)


def test_the_trash_lists_newest_deletion_first_with_cursors(
    service: ImageService, trash: TrashService, clock: Clock, ingest_all: Callable[[], None]
) -> None:
    ids = [_ready(service, ingest_all, jpeg(30, 30, color=(i * 60, 10, 10)), title=f"img {i}") for i in range(3)]
    for image_id in [ids[1], ids[0], ids[2]]:
        clock.advance(5)
        trash.delete(OWNER, image_id)
    first = trash.list_trash(OWNER, limit=2, cursor=None, query=None)
    assert [i.id for i in first.items] == [ids[2], ids[0]] and first.next_cursor
    rest = trash.list_trash(OWNER, limit=2, cursor=first.next_cursor, query=None)
    assert [i.id for i in rest.items] == [ids[1]] and rest.next_cursor is None
    assert [i.id for i in trash.list_trash(OWNER, limit=5, cursor=None, query="IMG 0").items] == [ids[0]]
