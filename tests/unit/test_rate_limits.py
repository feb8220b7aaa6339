"""Fair sharing (issue #15): the rate limiter and the limited use cases, on in-memory fakes."""

from dataclasses import asdict
from typing import Any

import pytest

from imageapi.domain.errors import PayloadTooLarge
from imageapi.domain.images import ImageService
from imageapi.domain.models import ImportFromUrlRequest, Transform, Variant
from imageapi.domain.ratelimit import (
    DIRECT_UPLOAD,
    PREDICTION,
    TRANSFORM,
    URL_IMPORT,
    LimitedImageService,
    RateLimited,
    RateLimiter,
    RateLimits,
    Window,
    window_at,
)
from tests.harness.images import png
from tests.harness.usecases import OWNER, Fetched


class MemoryRateCounter:
    """The counter port as DynamoDB's conditional ADD behaves: refused requests are not counted."""

    def __init__(self) -> None:
        self.hits: dict[tuple[str, str, int], int] = {}

    def take(self, owner: str, route: str, window: Window, limit: int) -> bool:
        key = (owner, route, window.start)
        if self.hits.get(key, 0) >= limit:
            return False
        self.hits[key] = self.hits.get(key, 0) + 1
        return True


class Seconds:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def limiter(counter: MemoryRateCounter, clock: Seconds, **per_route: int) -> RateLimiter:
    return RateLimiter(counter, RateLimits(window_seconds=60, per_route=per_route), clock=clock)


def test_a_window_starts_on_a_multiple_of_its_length() -> None:
    assert asdict(window_at(1_000_000_123.4, 60)) == {"start": 1_000_000_080, "ends": 1_000_000_140}


def test_n_requests_pass_then_429_with_retry_after_until_the_window_ends() -> None:
    counter, clock = MemoryRateCounter(), Seconds(1_000_000_090.5)  # 49.5 s before the window ends
    limits = limiter(counter, clock, **{TRANSFORM: 3})
    for _ in range(3):
        limits.check("alice", TRANSFORM)
    with pytest.raises(RateLimited) as refused:
        limits.check("alice", TRANSFORM)
    problem = refused.value.to_problem()
    assert refused.value.status == 429 and refused.value.headers == {"Retry-After": "50"}
    assert problem["type"].endswith(":rate-limited") and problem["limit"] == 3 and problem["route"] == TRANSFORM
    limits.check("bob", TRANSFORM)  # another owner has his own budget
    limits.check("alice", PREDICTION)  # a route without a limit (0 / absent) is never refused
    clock.now += 50  # the next window
    limits.check("alice", TRANSFORM)


def test_retry_after_is_at_least_one_second() -> None:
    counter, clock = MemoryRateCounter(), Seconds(1_000_000_139.9)
    limits = limiter(counter, clock, **{URL_IMPORT: 1})
    limits.check("alice", URL_IMPORT)
    with pytest.raises(RateLimited) as refused:
        limits.check("alice", URL_IMPORT)
    assert refused.value.headers["Retry-After"] == "1"


@pytest.fixture
def limited(service: ImageService) -> tuple[LimitedImageService, MemoryRateCounter]:
    counter = MemoryRateCounter()
    per_route = {URL_IMPORT: 1, DIRECT_UPLOAD: 1, TRANSFORM: 1}
    fields = {name: getattr(service, name) for name in ("repository", "store", "settings", "renderer", "fetcher")}
    wrapped = LimitedImageService(
        **fields, clock=service.clock, limiter=limiter(counter, Seconds(1_000_000_000), **per_route)
    )
    return wrapped, counter


def test_a_limited_url_import_fetches_nothing(limited: Any, fetched: Fetched) -> None:
    service, counter = limited
    fetched.data, fetched.content_type = png(), "image/png"
    request = ImportFromUrlRequest(title="remote", source_url="https://images.example/a.png")
    service.import_from_url(OWNER, request)
    assert counter.hits == {(OWNER, URL_IMPORT, 1_000_000_000 - 1_000_000_000 % 60): 1}, "not also a direct upload"
    with pytest.raises(RateLimited):
        service.import_from_url(OWNER, request)
    assert len(fetched.urls) == 1


def test_direct_uploads_are_counted_before_any_work(limited: Any) -> None:
    service, _ = limited
    with pytest.raises(PayloadTooLarge):  # counted even when it then fails: the work was asked for
        service.store_direct(OWNER, "big", b"x" * (service.settings.max_direct_upload_bytes + 1), "image/png", None)
    with pytest.raises(RateLimited):
        service.store_direct(OWNER, "next", b"x", "image/png", None)


def test_only_transforms_count_against_the_download_limit(limited: Any, repository: Any) -> None:
    service, counter = limited
    # An unknown image: the limit is checked first, so the 404 still spends the budget.
    for _ in range(3):
        with pytest.raises(Exception) as missing:
            service.download(OWNER, "01ARZ3NDEKTSV4RRFFQ69G5FAV", Variant.display, None)
        assert missing.value.status == 404  # type: ignore[attr-defined]
    assert counter.hits == {}
    with pytest.raises(Exception) as first:
        service.download(OWNER, "01ARZ3NDEKTSV4RRFFQ69G5FAV", Variant.display, Transform(width=10))
    assert first.value.status == 404  # type: ignore[attr-defined]
    with pytest.raises(RateLimited):
        service.download(OWNER, "01ARZ3NDEKTSV4RRFFQ69G5FAV", Variant.display, Transform(width=10))
