"""The HTTP plumbing under the generated client: a bearer token read per request (from a string or a
callable, so a long run can refresh it) and retries with backoff where a retry cannot do harm."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import httpx

TokenSource = str | Callable[[], str]

# Answers that say "not done, try again": throttled (API Gateway's stage limit, the per-owner
# limits) and unavailable. Nothing happened on the server, so any method may repeat.
RETRY_ANY_METHOD = frozenset({429, 503})
# A gateway that lost its upstream: the request may have run, so only safe methods repeat.
RETRY_SAFE_METHOD = frozenset({502, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BearerAuth(httpx.Auth):
    def __init__(self, token: TokenSource) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._token() if callable(self._token) else self._token
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


@dataclass
class Backoff:
    """Exponential backoff with full jitter: attempt n waits up to ``base * 2**n``, at most ``cap``."""

    base: float = 0.25
    cap: float = 8.0
    jitter: Callable[[float], float] = field(default=lambda limit: random.uniform(limit / 2, limit))

    def delay(self, attempt: int) -> float:
        return self.jitter(min(self.cap, self.base * (2**attempt)))


@dataclass
class RetryPolicy:
    attempts: int = 5  # tries in all, the first included
    connect_attempts: int = 3  # a refused connection: the host may simply be wrong, so give up sooner
    backoff: Backoff = field(default_factory=Backoff)
    max_retry_after: float = 30.0  # a longer Retry-After is answered to the caller instead

    def wait_for(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None and (value := response.headers.get("retry-after")):
            try:
                return min(self.max_retry_after, max(0.0, float(value)))
            except ValueError:
                pass
        return self.backoff.delay(attempt)


class RetryingClient(httpx.Client):
    """An httpx.Client that repeats a request that failed to connect (it never left), was throttled
    (429) or found the service unavailable (503); a safe method also after a gateway error (502,
    504), a timeout or a dropped connection. A POST that may have reached the server is never sent
    twice here (a presigned upload, which may, is repeated by its caller). It overrides ``send``
    rather than wrapping the transport, so httpx still honours HTTP(S)_PROXY and NO_PROXY."""

    def __init__(
        self, *, retry: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.retry = retry or RetryPolicy()
        self.sleep = sleep

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        safe = request.method in SAFE_METHODS
        attempt = 0
        while True:
            try:
                response = super().send(request, **kwargs)
            except httpx.ConnectError:
                if attempt + 1 >= self.retry.connect_attempts:
                    raise
                self.sleep(self.retry.wait_for(attempt, None))
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError):
                if not safe or attempt + 1 >= self.retry.attempts:
                    raise
                self.sleep(self.retry.wait_for(attempt, None))
            else:
                status = response.status_code
                retry = status in RETRY_ANY_METHOD or (safe and status in RETRY_SAFE_METHOD)
                if not retry or attempt + 1 >= self.retry.attempts:
                    return response
                wait = self.retry.wait_for(attempt, response)
                response.close()
                self.sleep(wait)
            attempt += 1
