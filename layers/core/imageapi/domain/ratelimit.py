"""Fair sharing (issue #15): per-owner limits on the costly routes (URL import, direct upload,
on-demand transforms, predictions), so one owner looping on them cannot take the stage's budget
from everyone. A fixed window per owner, route and window: at most ``limit`` requests in each
``window_seconds``; the one over it answers 429 with ``Retry-After`` (the seconds until the window
ends). The counter lives behind the ``RateLimiter`` port (DynamoDB: one conditional ADD)."""

import math
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from imageapi.domain.errors import TooManyRequests
from imageapi.domain.images import Download, ImageService
from imageapi.domain.models import ImageRecord, ImportFromUrlRequest, Transform, Variant
from imageapi.domain.predictions import PredictionResult, PredictionService, Task

URL_IMPORT, DIRECT_UPLOAD, TRANSFORM, PREDICTION = "url-import", "direct-upload", "transform", "prediction"
WEBHOOKS = "webhooks"  # the webhook management routes (domain/webhooks/service)


class RateLimited(TooManyRequests):
    slug, title = "rate-limited", "Rate limit exceeded"


@dataclass(frozen=True)
class RateLimits:
    """Requests per owner and window for each costly route; 0 turns a route's limit off."""

    window_seconds: int
    per_route: dict[str, int]


@dataclass(frozen=True)
class Window:
    start: int  # epoch seconds the window began
    ends: int  # epoch seconds it ends (the counter may be dropped after that)


def window_at(now: float, window_seconds: int) -> Window:
    start = int(now) - int(now) % window_seconds
    return Window(start=start, ends=start + window_seconds)


class RateCounter(Protocol):
    def take(self, owner: str, route: str, window: Window, limit: int) -> bool:
        """Count one request in the window; False (and nothing counted) when ``limit`` were already."""
        ...


class Limiter(Protocol):
    """What a limited use case calls before its costly work: raises ``RateLimited`` when over."""

    def check(self, owner: str, route: str) -> None: ...


class RateLimiter:
    def __init__(self, counter: RateCounter, limits: RateLimits, clock: Any = time.time) -> None:
        self._counter = counter
        self._limits = limits
        self._clock = clock

    def check(self, owner: str, route: str) -> None:
        limit = self._limits.per_route.get(route, 0)
        if limit <= 0:
            return
        now = self._clock()
        window = window_at(now, self._limits.window_seconds)
        if not self._counter.take(owner, route, window, limit):
            retry_after = max(1, math.ceil(window.ends - now))
            raise RateLimited(
                f"at most {limit} {route} requests per {self._limits.window_seconds} s for each owner; "
                f"try again in {retry_after} s",
                headers={"Retry-After": str(retry_after)},
                extensions={"limit": limit, "window_seconds": self._limits.window_seconds, "route": route},
            )


@dataclass
class LimitedImageService(ImageService):
    """The image use cases with the costly ones behind the owner's rate limit (checked before any
    work, so a limited request costs one counter write and nothing else)."""

    limiter: Limiter = field(kw_only=True)

    def import_from_url(self, owner: str, request: ImportFromUrlRequest) -> ImageRecord:
        self.limiter.check(owner, URL_IMPORT)
        # ImageService.import_from_url, without counting the same request as a direct upload too.
        data, content_type = self.fetcher(request.source_url)
        return super().store_direct(
            owner, request.title, data, content_type, request.resize, limit=self.settings.max_upload_bytes
        )

    def store_direct(self, owner: str, *args: Any, **kwargs: Any) -> ImageRecord:
        self.limiter.check(owner, DIRECT_UPLOAD)
        return super().store_direct(owner, *args, **kwargs)

    def download(self, owner: str, image_id: str, variant: Variant, transform: Transform | None) -> Download:
        if transform is not None:  # a stored variant costs a presign only; a transform may render
            self.limiter.check(owner, TRANSFORM)
        return super().download(owner, image_id, variant, transform)


@dataclass
class LimitedPredictionService(PredictionService):
    limiter: Limiter = field(kw_only=True)

    def predict(self, owner: str, image_id: str, task: Task) -> PredictionResult:
        self.limiter.check(owner, PREDICTION)
        return super().predict(owner, image_id, task)
