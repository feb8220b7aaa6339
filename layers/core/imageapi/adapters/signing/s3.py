"""Presigned S3 GET URLs for renditions, signed in-process at the window's start."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:  # imported lazily at run time: s3 mode never loads cryptography
    from botocore.credentials import ReadOnlyCredentials

from imageapi.domain.delivery import (
    CACHE_SIZE,
    DEFAULT_TTL_SECONDS,
    DEFAULT_WINDOW_SECONDS,
    SignedUrl,
    Window,
    check_timing,
    object_path,
    with_version,
)

# ---------------------------------------------------------------- S3


def _windowed_auth_class() -> type:
    from botocore.auth import S3SigV4QueryAuth

    class WindowedS3QueryAuth(S3SigV4QueryAuth):
        """botocore's S3 presign, with the signing time given instead of read from the clock.

        ``SigV4Auth.add_auth`` stamps ``datetime.now()``; a URL stable within a window needs the
        window's start. The rest (canonical request, scope, signature, query) is botocore's own.
        """

        def __init__(self, credentials: Any, region_name: str, expires: int, timestamp: str) -> None:
            super().__init__(credentials, "s3", region_name, expires=expires)
            self._timestamp = timestamp

        def add_auth(self, request: Any) -> None:
            request.context["timestamp"] = self._timestamp
            # botocore's own steps; its stubs leave these private methods out.
            self._modify_request_before_signing(request)  # type: ignore[attr-defined]
            canonical_request = self.canonical_request(request)
            string_to_sign = self.string_to_sign(request, canonical_request)
            self._inject_signature_to_request(request, self.signature(string_to_sign, request))  # type: ignore[attr-defined]

    return WindowedS3QueryAuth


CredentialsSource = Callable[[], "ReadOnlyCredentials"]


class S3RenditionSigner:
    """Presigned S3 GET URLs (SigV4), signed at the start of the current window.

    ``credentials`` returns the current frozen credentials (``session.get_credentials()
    .get_frozen_credentials``). With ``endpoint_url`` (a local S3 endpoint) URLs are path-style
    on it; without, virtual-hosted on the bucket's regional endpoint. ``cache_control`` is signed
    into the URL as ``response-cache-control`` (S3 answers with it; the objects carry none), so
    browsers keep a rendition for the URL's life; by default ``private, max-age=<ttl>, immutable``.
    """

    def __init__(
        self,
        bucket: str,
        region: str,
        credentials: CredentialsSource,
        *,
        endpoint_url: str | None = None,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        window_seconds: int = DEFAULT_WINDOW_SECONDS,
        cache_control: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        check_timing(ttl_seconds, window_seconds)
        self.cache_control = cache_control or f"private, max-age={ttl_seconds}, immutable"
        self.bucket = bucket
        self.region = region
        self.ttl_seconds = ttl_seconds
        self.window_seconds = window_seconds
        self._credentials = credentials
        self._clock = clock
        if endpoint_url:
            self._base = f"{endpoint_url.rstrip('/')}/{quote(bucket, safe='')}"
        else:
            self._base = f"https://{bucket}.s3.{region}.amazonaws.com"
        self._auth_class = _windowed_auth_class()
        self._signed = lru_cache(maxsize=CACHE_SIZE)(self._sign_window)

    def sign(self, key: str, *, version: str | None = None, now: float | None = None) -> SignedUrl:
        window = Window.at(self._clock() if now is None else now, self.ttl_seconds, self.window_seconds)
        # The credentials are part of the memo's key: refreshed credentials sign anew.
        return self._signed(key, version, window, self._credentials())

    def _sign_window(
        self, key: str, version: str | None, window: Window, credentials: ReadOnlyCredentials
    ) -> SignedUrl:
        from botocore.awsrequest import AWSRequest

        timestamp = datetime.fromtimestamp(window.start, UTC).strftime("%Y%m%dT%H%M%SZ")
        auth = self._auth_class(credentials, self.region, window.expires - window.start, timestamp)
        url = with_version(self._base + object_path(key), version)
        url += ("&" if "?" in url else "?") + "response-cache-control=" + quote(self.cache_control, safe="-_.~")
        request = AWSRequest(method="GET", url=url)
        auth.add_auth(request)
        return SignedUrl(url=str(request.url), expires_at=datetime.fromtimestamp(window.expires, UTC))
