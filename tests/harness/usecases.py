"""Fixtures for unit tests of the use cases: the real ImageService, Ingestor and their
collaborators, over the in-memory fakes of the repository and object store, with the real
Pillow processor and renderer (the pixels are real; only storage is in memory)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from imageapi.adapters.pixels.process import process_upload
from imageapi.adapters.pixels.renderer import PillowRenderer
from imageapi.domain.images import ImageService
from imageapi.domain.ingest import Ingestor
from imageapi.settings import Settings
from tests.harness.fakes import MemoryObjectStore, MemoryRepository

OWNER = "owner-a"


class Clock:
    """A settable clock: use cases stamp records with it, tests move it on."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Fetched:
    """A fetcher port answering fixed bytes for any URL, recording what was asked for."""

    def __init__(self, data: bytes = b"", content_type: str | None = None) -> None:
        self.data, self.content_type, self.urls = data, content_type, []

    def __call__(self, url: str) -> tuple[bytes, str | None]:
        self.urls.append(url)
        return self.data, self.content_type


def IsolatedSettings(**values: Any) -> Settings:
    """Settings from the arguments only: another suite's stack in this process may have set the
    environment (MAX_UPLOAD_BYTES and friends), which must not change a unit test."""
    return Settings.from_env({}, **values)


@pytest.fixture
def settings() -> Settings:
    return IsolatedSettings(max_direct_upload_bytes=64 * 1024, quota_max_images=5, quota_max_bytes=10 * 1024 * 1024)


@pytest.fixture
def repository() -> MemoryRepository:
    return MemoryRepository()


@pytest.fixture
def store() -> MemoryObjectStore:
    return MemoryObjectStore()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fetched() -> Fetched:
    return Fetched()


@pytest.fixture
def service(
    repository: MemoryRepository, store: MemoryObjectStore, settings: Settings, clock: Clock, fetched: Fetched
) -> ImageService:
    return ImageService(
        repository=repository,
        store=store,
        settings=settings,
        renderer=PillowRenderer(max_pixels=settings.max_pixels),
        fetcher=fetched,
        clock=clock,
    )


@pytest.fixture
def ingestor(repository: MemoryRepository, store: MemoryObjectStore, settings: Settings) -> Ingestor:
    return Ingestor(repository=repository, store=store, settings=settings, process=process_upload)


@pytest.fixture
def ingest_all(ingestor: Ingestor, store: MemoryObjectStore) -> Callable[[], None]:
    """Run ingest for every object waiting under incoming/, as the queue would."""

    def run() -> None:
        for key in store.keys("incoming/"):
            ingestor.ingest(key)

    return run
