"""The HttpApi stage's throttling, as API Gateway applies it: a token bucket per route holding up
to ThrottlingBurstLimit tokens, refilled at ThrottlingRateLimit tokens a second, one token a
request; a request that finds the bucket empty is answered 429 ``{"message":"Too Many Requests"}``
by the gateway itself (the function never runs). DefaultRouteSettings give every route its
limits, RouteSettings override them for one route key (template.yaml: ThrottleRateLimit,
ThrottleBurstLimit).

`make dev` (``python -m local``) applies the template's limits; ``LocalStack`` applies them only
when asked (``throttle=True`` or a ``StageThrottle``), so test suites that hammer the gateway on
purpose are not throttled by accident.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

TOO_MANY_REQUESTS_BODY = json.dumps({"message": "Too Many Requests"}, separators=(",", ":"))


@dataclass(frozen=True)
class Limits:
    rate: float  # tokens added per second (ThrottlingRateLimit)
    burst: int  # bucket size (ThrottlingBurstLimit)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Limits | None:
        """From a RouteSettings mapping; None when it sets no throttling."""
        rate, burst = settings.get("ThrottlingRateLimit"), settings.get("ThrottlingBurstLimit")
        if rate is None and burst is None:
            return None
        return cls(rate=float(rate if rate is not None else 0), burst=int(float(burst if burst is not None else 0)))


class TokenBucket:
    def __init__(self, limits: Limits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._tokens = float(limits.burst)  # a fresh stage starts with a full bucket
        self._at = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(float(self.limits.burst), self._tokens + (now - self._at) * self.limits.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class StageThrottle:
    """Buckets per route key, created on first use."""

    def __init__(
        self,
        default: Limits | None,
        routes: Mapping[str, Limits] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.default = default
        self.routes = dict(routes or {})
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_template(cls, template: Any, clock: Callable[[], float] = time.monotonic) -> StageThrottle | None:
        """The HttpApi's DefaultRouteSettings / RouteSettings throttling; None when it sets none."""
        default = Limits.from_settings(template.api_default_route_settings or {})
        routes = {
            key: limits
            for key, settings in (template.api_route_settings or {}).items()
            if (limits := Limits.from_settings(settings or {})) is not None
        }
        if default is None and not routes:
            return None
        return cls(default, routes, clock)

    def allow(self, route_key: str) -> bool:
        limits = self.routes.get(route_key, self.default)
        if limits is None:
            return True
        with self._lock:
            bucket = self._buckets.get(route_key)
            if bucket is None:
                bucket = self._buckets[route_key] = TokenBucket(limits, self._clock)
            return bucket.take()


def too_many_requests_headers() -> dict[str, str]:
    """What API Gateway (HTTP API) sends with its own 429: JSON, and its request id."""
    return {"Content-Type": "application/json", "apigw-requestid": secrets.token_urlsafe(12)}
