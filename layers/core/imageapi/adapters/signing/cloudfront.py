"""CloudFront signed URLs for renditions (canned policy, RSA-SHA1), key read once per container."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported lazily at run time: s3 mode never loads cryptography
    pass

from imageapi.domain.delivery import (
    CACHE_SIZE,
    DEFAULT_TTL_SECONDS,
    DEFAULT_WINDOW_SECONDS,
    SignedPrefix,
    SignedUrl,
    Window,
    check_timing,
    object_path,
    with_version,
)

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
        check_timing(ttl_seconds, window_seconds)
        self.base_url = base_url.rstrip("/")
        self.key_pair_id = key_pair_id
        self.ttl_seconds = ttl_seconds
        self.window_seconds = window_seconds
        self._clock = clock
        self._key_source = private_key
        self._signer: Any = None  # botocore CloudFrontSigner, built on first use
        self._lock = threading.Lock()
        self._signed = lru_cache(maxsize=CACHE_SIZE)(self._sign_window)
        self._signed_prefixes = lru_cache(maxsize=CACHE_SIZE)(self._sign_prefix_window)

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
        resource = with_version(self.base_url + object_path(key), version)
        url = self._cloudfront_signer().generate_presigned_url(resource, date_less_than=expires_at)
        return SignedUrl(url=url, expires_at=expires_at)

    def sign_prefix(self, prefix: str, *, now: float | None = None) -> SignedPrefix:
        """A custom policy over ``<base>/<prefix>*`` (``prefix`` must end in "/", so an image's
        prefix never also matches an id that merely starts with its own), memoised per window."""
        if not prefix.endswith("/"):
            raise ValueError("a signed prefix must end in '/'")
        window = Window.at(self._clock() if now is None else now, self.ttl_seconds, self.window_seconds)
        return self._signed_prefixes(prefix, window)

    def _sign_prefix_window(self, prefix: str, window: Window) -> SignedPrefix:
        expires_at = datetime.fromtimestamp(window.expires, UTC)
        resource = self.base_url + object_path(prefix) + "*"
        signer = self._cloudfront_signer()
        # botocore builds the policy and appends Policy, Signature and Key-Pair-Id to the URL it is
        # given; the query it appended is the signature every URL under the prefix carries.
        signed = signer.generate_presigned_url(resource, policy=signer.build_policy(resource, expires_at))
        return SignedPrefix(self.base_url, prefix, signed.split("?", 1)[1], expires_at)


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
