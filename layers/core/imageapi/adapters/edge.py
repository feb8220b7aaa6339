"""The AWS side of renditions at the edge (issue 20): storing an AVIF after its first miss outside
the request (``LambdaFill``: an asynchronous invoke of the render function itself; ``ThreadFill``:
a thread, for the local stack), and dropping a deleted image's copies from the CDN's cache
(``CloudFrontCache``: one invalidation of the image's prefix)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger

from imageapi.domain.edge_render import FILL_EVENT_KEY

logger = Logger(child=True)


class LambdaFill:
    """Invokes the running function's own version asynchronously with ``{"edge_fill": key}``."""

    def __init__(self, client: Any, function_name: str, qualifier: str | None) -> None:
        self._client = client
        self._function_name = function_name
        self._qualifier = qualifier

    @classmethod
    def of_this_function(cls, client: Callable[[str], Any]) -> LambdaFill | None:
        """The fill for the function this code runs in (Lambda sets its name and version), or None
        outside Lambda. ``client(service)`` builds boto3 clients."""
        name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        if not name:
            return None
        version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        return cls(client("lambda"), name, None if version in (None, "$LATEST") else version)

    def __call__(self, key: str) -> None:
        extra = {"Qualifier": self._qualifier} if self._qualifier else {}
        try:
            self._client.invoke(
                FunctionName=self._function_name,
                InvocationType="Event",
                Payload=json.dumps({FILL_EVENT_KEY: key}).encode(),
                **extra,
            )
        except Exception:  # the answer is already on its way; the next miss asks again
            logger.exception("could not queue the AVIF fill", extra={"key": key})


class ThreadFill:
    """Runs ``fill(key)`` on a daemon thread (the local stack's stand-in for the async invoke)."""

    def __init__(self, fill: Callable[[str], object]) -> None:
        self._fill = fill
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def __call__(self, key: str) -> None:
        thread = threading.Thread(target=self._run, args=(key,), name="edge-fill", daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _run(self, key: str) -> None:
        try:
            self._fill(key)
        except Exception:
            logger.exception("AVIF fill failed", extra={"key": key})

    def join(self, timeout: float = 60.0) -> None:
        """Waits for every fill started so far (tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))


def fill_for(mode: str, fill: Callable[[str], object], client: Callable[[str], Any]) -> LambdaFill | ThreadFill | None:
    """The ``EdgeFill`` of ``settings.edge_fill``: lambda (AWS), thread (the local stack) or off."""
    if mode == "thread":
        return ThreadFill(fill)
    return LambdaFill.of_this_function(client) if mode == "lambda" else None


class CloudFrontCache:
    """``CdnCache`` on the renditions distribution: one invalidation path ``/<prefix>*`` per image
    (one path of the 1 000 free a month; $0.005 each beyond)."""

    def __init__(self, client: Any, distribution_id: str) -> None:
        self._client = client
        self._distribution_id = distribution_id

    @classmethod
    def from_environment(cls, client: Callable[[str], Any]) -> CloudFrontCache | None:
        """Where the template names the distribution (CDN_DISTRIBUTION_ID: the image function's,
        which deletes); None elsewhere and locally (the stand-in keeps no copies). The client is
        built on the first invalidation."""
        distribution = os.environ.get("CDN_DISTRIBUTION_ID")
        return cls(_Deferred(client, "cloudfront"), distribution) if distribution else None

    def invalidate(self, prefix: str) -> None:
        path = "/" + prefix + "*"
        try:
            self._client.create_invalidation(
                DistributionId=self._distribution_id,
                InvalidationBatch={
                    "Paths": {"Quantity": 1, "Items": [path]},
                    "CallerReference": f"{path}@{time.time_ns()}",
                },
            )
        except Exception:  # the delete stands; the copies expire with the cache policy's TTL
            logger.exception("could not invalidate the CDN's copies", extra={"path": path})


class _Deferred:
    """A boto3 client built on its first call (a cold start that deletes nothing never builds it)."""

    def __init__(self, client: Callable[[str], Any], service: str) -> None:
        self._client, self._service = client, service

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client(self._service), name)
