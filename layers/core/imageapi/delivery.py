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

This module depends on nothing else of ``imageapi``: it takes its configuration as explicit
arguments, or from the environment through ``DeliverySettings`` / ``signer_from_environment``.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import quote

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:  # imported lazily at run time: s3 mode never loads cryptography
    from botocore.credentials import ReadOnlyCredentials

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
class Window:
    """The time bucket a signature belongs to."""

    start: int  # epoch seconds, a multiple of the window length
    expires: int  # start + window + ttl

    @classmethod
    def at(cls, now: float, ttl_seconds: int, window_seconds: int) -> Window:
        start = math.floor(now / window_seconds) * window_seconds
        return cls(start=start, expires=start + window_seconds + ttl_seconds)


def _check_timing(ttl_seconds: int, window_seconds: int) -> None:
    if not 60 <= ttl_seconds <= MAX_TTL_SECONDS:
        raise ValueError(f"ttl_seconds must be within 60..{MAX_TTL_SECONDS}")
    if not 60 <= window_seconds <= min(MAX_WINDOW_SECONDS, ttl_seconds):
        raise ValueError(f"window_seconds must be within 60..min({MAX_WINDOW_SECONDS}, ttl_seconds)")


def object_path(key: str) -> str:
    """The URL path of an object key (S3 keys are percent-encoded byte by byte, '/' kept)."""
    return "/" + quote(key, safe="/-_.~")


def _with_version(url: str, version: str | None) -> str:
    return f"{url}?{VERSION_PARAM}={quote(version, safe='-_.~')}" if version else url


# ---------------------------------------------------------------- CloudFront


PrivateKeyLoader = Callable[[], bytes]


class CloudFrontRenditionSigner:
    """CloudFront signed URLs with a canned policy, from a trusted key group's private key.

    ``private_key`` is the PEM itself or a zero-argument loader (e.g. ``secret_key_loader(...)``)
    called once, on the first signature, then kept for the container's life.
    """

    def __init__(
        self,
        base_url: str,
        key_pair_id: str,
        private_key: bytes | str | PrivateKeyLoader,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        window_seconds: int = DEFAULT_WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("base_url must be an http(s) URL, e.g. https://d111111abcdef8.cloudfront.net")
        if not key_pair_id:
            raise ValueError("key_pair_id is required")
        _check_timing(ttl_seconds, window_seconds)
        self.base_url = base_url.rstrip("/")
        self.key_pair_id = key_pair_id
        self.ttl_seconds = ttl_seconds
        self.window_seconds = window_seconds
        self._clock = clock
        self._key_source = private_key
        self._signer: Any = None  # botocore CloudFrontSigner, built on first use
        self._lock = threading.Lock()
        self._signed = lru_cache(maxsize=CACHE_SIZE)(self._sign_window)

    def _cloudfront_signer(self) -> Any:
        if self._signer is None:
            with self._lock:
                if self._signer is None:
                    from botocore.signers import CloudFrontSigner
                    from cryptography.hazmat.primitives import hashes, serialization
                    from cryptography.hazmat.primitives.asymmetric import padding, rsa

                    source = self._key_source
                    pem = source() if callable(source) else source
                    key = serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, None)
                    if not isinstance(key, rsa.RSAPrivateKey):
                        raise ValueError("the CloudFront signing key must be an RSA private key")

                    def rsa_sha1(message: bytes) -> bytes:  # CloudFront requires SHA-1 with PKCS#1 v1.5
                        return key.sign(message, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303

                    self._signer = CloudFrontSigner(self.key_pair_id, rsa_sha1)
        return self._signer

    def sign(self, key: str, *, version: str | None = None, now: float | None = None) -> SignedUrl:
        window = Window.at(self._clock() if now is None else now, self.ttl_seconds, self.window_seconds)
        return self._signed(key, version, window)

    def _sign_window(self, key: str, version: str | None, window: Window) -> SignedUrl:
        expires_at = datetime.fromtimestamp(window.expires, UTC)
        resource = _with_version(self.base_url + object_path(key), version)
        url = self._cloudfront_signer().generate_presigned_url(resource, date_less_than=expires_at)
        return SignedUrl(url=url, expires_at=expires_at)


def secret_key_loader(source: str, client: Any = None) -> PrivateKeyLoader:
    """A loader for the PEM kept in Secrets Manager (ARN or name) or, as ``ssm:/name``, in an SSM
    SecureString parameter. ``client`` is the secretsmanager / ssm client (boto3's by default)."""

    def load() -> bytes:
        import boto3

        if source.startswith("ssm:"):
            ssm = client or boto3.client("ssm")
            value = ssm.get_parameter(Name=source[4:], WithDecryption=True)["Parameter"]["Value"]
        else:
            secrets = client or boto3.client("secretsmanager")
            value = secrets.get_secret_value(SecretId=source)["SecretString"]
        if "PRIVATE KEY" not in value:
            raise ValueError("the CloudFront signing secret holds no PEM private key (yet)")
        return value.encode()

    return load


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
            self._modify_request_before_signing(request)
            canonical_request = self.canonical_request(request)
            string_to_sign = self.string_to_sign(request, canonical_request)
            self._inject_signature_to_request(request, self.signature(string_to_sign, request))

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
        _check_timing(ttl_seconds, window_seconds)
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
        url = _with_version(self._base + object_path(key), version)
        url += ("&" if "?" in url else "?") + "response-cache-control=" + quote(self.cache_control, safe="-_.~")
        request = AWSRequest(method="GET", url=url)
        auth.add_auth(request)
        return SignedUrl(url=request.url, expires_at=datetime.fromtimestamp(window.expires, UTC))


# ---------------------------------------------------------------- configuration


class DeliverySettings(BaseSettings):
    """Environment variables set by template.yaml (and the local stack)."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    delivery_mode: Literal["cdn", "s3"] = "s3"
    delivery_url_ttl_seconds: int = Field(DEFAULT_TTL_SECONDS, ge=60, le=MAX_TTL_SECONDS)
    delivery_url_window_seconds: int = Field(DEFAULT_WINDOW_SECONDS, ge=60, le=MAX_WINDOW_SECONDS)
    # cdn mode: the distribution's URL, the trusted public key's id, where the private key is kept
    cdn_base_url: str = ""
    cdn_key_pair_id: str = ""
    cdn_private_key_secret: str = ""  # Secrets Manager ARN or name, or ssm:/parameter/name
    # s3 mode
    bucket_name: str = "images"

    @model_validator(mode="after")
    def _complete(self) -> DeliverySettings:
        if self.delivery_url_window_seconds > self.delivery_url_ttl_seconds:
            raise ValueError("DELIVERY_URL_WINDOW_SECONDS must not exceed DELIVERY_URL_TTL_SECONDS")
        if self.delivery_mode == "cdn":
            missing = [
                name.upper()
                for name in ("cdn_base_url", "cdn_key_pair_id", "cdn_private_key_secret")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(f"DELIVERY_MODE=cdn needs {', '.join(missing)}")
        return self


def signer_from_settings(
    settings: DeliverySettings,
    *,
    secrets_client: Any = None,
    credentials: CredentialsSource | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
) -> RenditionSigner:
    """The signer the settings ask for. Clients/credentials default to boto3's; nothing is read
    from AWS until the first ``sign`` (and then, in cdn mode, once)."""
    timing = {"ttl_seconds": settings.delivery_url_ttl_seconds, "window_seconds": settings.delivery_url_window_seconds}
    if settings.delivery_mode == "cdn":
        return CloudFrontRenditionSigner(
            settings.cdn_base_url,
            settings.cdn_key_pair_id,
            secret_key_loader(settings.cdn_private_key_secret, secrets_client),
            **timing,
        )
    if credentials is None:
        import boto3

        session = boto3.Session()

        def credentials() -> ReadOnlyCredentials:
            found = session.get_credentials()
            if found is None:
                raise RuntimeError("no AWS credentials to presign S3 URLs with")
            return found.get_frozen_credentials()

    return S3RenditionSigner(
        settings.bucket_name,
        region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        credentials,
        endpoint_url=endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"),
        **timing,
    )


def signer_from_environment(**overrides: Any) -> RenditionSigner:
    """``signer_from_settings(DeliverySettings(), **overrides)``; build it once per container."""
    return signer_from_settings(DeliverySettings(), **overrides)
