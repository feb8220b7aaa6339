"""Signed rendition URLs a browser can use as ``<img src>`` without a token (SPEC §3.10).

Two implementations of one protocol:

- ``CloudFrontRenditionSigner``: CloudFront signed URLs (canned policy, RSA-SHA1, ``Expires``,
  ``Signature``, ``Key-Pair-Id``) for the renditions distribution; the private key is read once
  per container from Secrets Manager (or an SSM SecureString) through an injectable client.
- ``S3RenditionSigner``: presigned S3 GET URLs (SigV4 query auth), signed in-process.

Both are **stable within a time window**: the signature's time is the start of the current window,
so every call inside one window returns byte-identical URLs and a reload hits the browser's cache.
A URL issued at ``now`` expires at ``window_start + window + ttl``: it lives at least ``ttl`` and
at most ``ttl + window`` seconds. No signing call touches the network (the key read is once).

The implementations live in ``imageapi.adapters.signing``; ``imageapi.context`` builds the one
the settings ask for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import quote

if TYPE_CHECKING:  # imported lazily at run time: s3 mode never loads cryptography
    pass


DEFAULT_TTL_SECONDS = 3600  # a URL lives at least an hour ...
DEFAULT_WINDOW_SECONDS = 900  # ... and at most an hour and a quarter; reloads within 15 min reuse it
MAX_TTL_SECONDS = 6 * 3600
MAX_WINDOW_SECONDS = 3600
# Signed URLs of the current window are memoised per container: a warm container lists the same
# gallery again without paying for RSA (about half a millisecond per URL) a second time.
CACHE_SIZE = 4096
# The rendition's content version travels in this query parameter: it is signed, and the CDN's
# cache policy keys on it (and on nothing else of the query string), so a re-rendered image under
# the same key is a new URL for browsers and for the CDN.
VERSION_PARAM = "v"


@dataclass(frozen=True)
class SignedUrl:
    url: str
    expires_at: datetime  # UTC, whole seconds


class RenditionSigner(Protocol):
    """Turns an object key of the images bucket into a URL a browser can GET without a token."""

    def sign(self, key: str, *, version: str | None = None, now: float | None = None) -> SignedUrl: ...


@dataclass(frozen=True)
class SignedPrefix:
    """One signature for every URL under a path prefix (a CloudFront custom policy whose resource
    is ``<base>/<prefix>*``): the srcset of one image costs one RSA signature, not one per width."""

    base_url: str  # e.g. https://d111111abcdef8.cloudfront.net
    prefix: str  # the object path it covers, ending in "/"
    query: str  # Policy=…&Signature=…&Key-Pair-Id=…
    expires_at: datetime

    def url(self, key: str, version: str) -> str:
        if not key.startswith(self.prefix):
            raise ValueError("the key is outside the signed prefix")
        return f"{self.base_url}{object_path(key)}?{VERSION_PARAM}={quote(version, safe='-_.~')}&{self.query}"


@runtime_checkable
class PrefixSigner(Protocol):
    """A signer that can also sign a whole path prefix once (CloudFront; presigned S3 URLs cannot)."""

    def sign_prefix(self, prefix: str, *, now: float | None = None) -> SignedPrefix: ...


@dataclass(frozen=True)
class Window:
    """The time bucket a signature belongs to."""

    start: int  # epoch seconds, a multiple of the window length
    expires: int  # start + window + ttl

    @classmethod
    def at(cls, now: float, ttl_seconds: int, window_seconds: int) -> Window:
        start = math.floor(now / window_seconds) * window_seconds
        return cls(start=start, expires=start + window_seconds + ttl_seconds)


def check_timing(ttl_seconds: int, window_seconds: int) -> None:
    if not 60 <= ttl_seconds <= MAX_TTL_SECONDS:
        raise ValueError(f"ttl_seconds must be within 60..{MAX_TTL_SECONDS}")
    if not 60 <= window_seconds <= min(MAX_WINDOW_SECONDS, ttl_seconds):
        raise ValueError(f"window_seconds must be within 60..min({MAX_WINDOW_SECONDS}, ttl_seconds)")


def object_path(key: str) -> str:
    """The URL path of an object key (S3 keys are percent-encoded byte by byte, '/' kept)."""
    return "/" + quote(key, safe="/-_.~")


def with_version(url: str, version: str | None) -> str:
    return f"{url}?{VERSION_PARAM}={quote(version, safe='-_.~')}" if version else url


class CdnCache(Protocol):
    """The renditions CDN's cache: an image's cached renditions are dropped when it is deleted, so
    a URL signed before the delete answers 404 (from the origins) instead of the cached bytes."""

    def invalidate(self, prefix: str) -> None:
        """Drop everything cached under the object ``prefix`` (best effort: never raises)."""
        ...
