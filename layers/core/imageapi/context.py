"""Wiring: the only place that builds things. Every client, adapter and use case a function needs
is made here, lazily and once per container: a cold start pays only for what a request needs
(Pillow, the URL fetcher and the ML layer are imported on first use), a warm one reuses it all.

Handlers ask for a use case (``image_service()``, ``ingestor()``, ``prediction_service()``);
nothing else calls a constructor of an adapter. In Lambda the environment never changes inside a
container; the local stack and tests that change it call ``rebuild()`` afterwards, and the next
call of any factory builds from the new environment.
"""

import os
import sys
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from imageapi.domain.models import ResizeSpec
from imageapi.settings import get_settings
from imageapi.snapstart import register_snapstart_hooks

if TYPE_CHECKING:  # imported where they are built: a cold start loads only what its request needs
    from botocore.config import Config
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient

    from imageapi.adapters.dynamodb import DynamoImageRepository
    from imageapi.adapters.pixels.policy import PixelPolicy
    from imageapi.adapters.s3 import S3ObjectStore
    from imageapi.domain.cursors import CursorCodec
    from imageapi.domain.delivery import RenditionSigner, SignedPrefix, SignedUrl
    from imageapi.domain.images import ImageService
    from imageapi.domain.ingest import Ingestor
    from imageapi.domain.ports import ProcessedUpload, RenderedImage
    from imageapi.domain.predictions import PredictionService
    from imageapi.domain.ratelimit import RateLimiter
    from imageapi.domain.trash import TrashService


@cache
def _boto_config() -> "Config":
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "max_attempts": 4}, signature_version="s3v4", connect_timeout=3, read_timeout=10
    )


@cache
def _traced() -> None:
    """X-Ray's botocore patch (tracing on), applied once before the first client is built instead
    of at import: it loads botocore's client machinery, which building that client loads anyway,
    so a cold start no longer pays for it in init when a request may never need a client."""
    from imageapi.http.api import TRACED_MODULES, tracer

    tracer.patch(TRACED_MODULES)


@cache
def s3_client() -> "S3Client":
    _traced()
    import boto3

    return boto3.client("s3", config=_boto_config())


@cache
def dynamodb_client() -> "DynamoDBClient":
    _traced()
    import boto3

    return boto3.client("dynamodb", config=_boto_config())


@cache
def secretsmanager_client() -> "SecretsManagerClient":
    _traced()
    import boto3

    return boto3.client("secretsmanager", config=_boto_config())


@cache
def cursor_codec() -> "CursorCodec":
    """The list cursors' signer. Its key is read from Secrets Manager on the first cursor made or
    checked (once per container; again after a SnapStart restore, which rebuilds everything)."""
    from imageapi.domain.cursors import CursorCodec

    settings = get_settings()
    if not settings.cursor_secret_arn:
        return CursorCodec(settings.cursor_secret)
    from imageapi.adapters.cursor_keys import SecretsManagerKeySource

    return CursorCodec(SecretsManagerKeySource(secretsmanager_client(), settings.cursor_secret_arn))


@cache
def repository() -> "DynamoImageRepository":
    from imageapi.adapters.dynamodb import DynamoImageRepository

    return DynamoImageRepository(dynamodb_client(), get_settings().table_name, cursor_codec())


@cache
def object_store() -> "S3ObjectStore":
    from imageapi.adapters.s3 import S3ObjectStore

    return S3ObjectStore(s3_client(), get_settings().bucket_name)


class _LazyRenderer:
    """Pillow, imported on the first render only: cached downloads never pay for it. It is the
    ``Renderer`` (PATCH, transforms) and the ``EdgeRenderer`` (the CDN's misses, issue 20)."""

    @staticmethod
    def _pillow() -> Any:
        from imageapi.adapters.pixels.renderer import PillowRenderer

        return PillowRenderer(max_pixels=get_settings().max_pixels, policy=_pixel_policy())

    def render(self, data: bytes, **arguments: Any) -> "RenderedImage":
        return self._pillow().render(data, **arguments)

    def render_edge(self, data: bytes, **arguments: Any) -> "RenderedImage":
        return self._pillow().render_edge(data, **arguments)


def _fetch_url(url: str) -> tuple[bytes, str | None]:
    """The SSRF-guarded fetch that URL import uses, configured from settings."""
    from imageapi.adapters.fetch.client import fetch_source

    settings = get_settings()
    source = fetch_source(
        url,
        max_bytes=settings.max_upload_bytes,
        timeout_s=settings.import_timeout_seconds,
        max_redirects=settings.import_max_redirects,
        allow_private=settings.import_allow_private_networks,
    )
    return source.data, source.content_type


def _pixel_policy() -> "PixelPolicy":
    from imageapi.adapters.pixels.policy import PixelPolicy

    settings = get_settings()
    return PixelPolicy(
        heic=settings.heic_enabled,
        max_frames=settings.max_animation_frames,
        max_animation_pixels=settings.max_animation_pixels,
        max_output_bytes=settings.max_animation_output_bytes,
    )


def _process_upload(data: bytes, *, max_pixels: int, display: ResizeSpec | None = None) -> "ProcessedUpload":
    from imageapi.adapters.pixels.process import process_upload

    return process_upload(data, max_pixels=max_pixels, display=display, policy=_pixel_policy())


def _signing_configured() -> bool:
    """Whether this function embeds signed rendition URLs (SPEC §3.10): DELIVERY_MODE is global;
    in cdn mode only the functions that embed URLs get CDN_BASE_URL and the key's secret."""
    mode = os.environ.get("DELIVERY_MODE")
    return bool(mode) and not (mode == "cdn" and not os.environ.get("CDN_BASE_URL"))


@cache
def rendition_signer() -> "RenditionSigner | None":
    """The signer of embedded rendition URLs, or None for a function the template does not
    configure for it. Building it reads nothing from AWS: in cdn mode the private key is read on
    the first signature, once per container."""
    if not _signing_configured():
        return None
    from imageapi.adapters.signing import signer_from_environment

    return signer_from_environment()


class _LazySigner:
    """The signer's adapters (and cryptography, in cdn mode) load on the first signature: a
    request that answers no ready image never pays for them."""

    def sign(self, key: str, *, version: str | None = None, now: float | None = None) -> "SignedUrl":
        signer = rendition_signer()
        assert signer is not None  # only handed out when signing is configured
        return signer.sign(key, version=version, now=now)

    def sign_prefix(self, prefix: str, *, now: float | None = None) -> "SignedPrefix":
        """One signature over an image's prefix (its srcset, issue 20): the CloudFront signer only."""
        signer = rendition_signer()
        assert signer is not None and hasattr(signer, "sign_prefix")  # only handed out in cdn mode
        return signer.sign_prefix(prefix, now=now)


@cache
def rate_limiter() -> "RateLimiter":
    from imageapi.adapters.dynamodb.ratelimit import DynamoRateCounter
    from imageapi.domain.ratelimit import DIRECT_UPLOAD, PREDICTION, TRANSFORM, URL_IMPORT, RateLimiter, RateLimits

    settings = get_settings()
    per_route = {
        URL_IMPORT: settings.rate_limit_url_imports,
        DIRECT_UPLOAD: settings.rate_limit_direct_uploads,
        TRANSFORM: settings.rate_limit_transforms,
        PREDICTION: settings.rate_limit_predictions,
    }
    limits = RateLimits(window_seconds=settings.rate_limit_window_seconds, per_route=per_route)
    return RateLimiter(DynamoRateCounter(dynamodb_client(), settings.table_name), limits)


class _LazyLimiter:
    """The per-owner rate limits, built on the first limited call (most requests make none)."""

    def check(self, owner: str, route: str) -> None:
        rate_limiter().check(owner, route)


@cache
def image_service() -> "ImageService":
    from imageapi.domain.ratelimit import LimitedImageService

    return LimitedImageService(
        repository=repository(),
        store=object_store(),
        settings=get_settings(),
        renderer=_LazyRenderer(),
        fetcher=_fetch_url,
        signer=_LazySigner() if _signing_configured() else None,
        # The srcset: CloudFront signs a whole prefix; presigned S3 URLs cannot render widths.
        srcset_signer=_LazySigner() if _signing_configured() and os.environ.get("DELIVERY_MODE") == "cdn" else None,
        limiter=_LazyLimiter(),
    )


@cache
def trash_service() -> "TrashService":
    from imageapi.adapters.dynamodb.trash import DynamoTrash
    from imageapi.adapters.s3_versions import S3ObjectVersions
    from imageapi.context_edge import cdn_cache
    from imageapi.domain.trash import TrashService

    settings = get_settings()
    return TrashService(
        repository=repository(),
        bin=DynamoTrash(dynamodb_client(), settings.table_name, cursor_codec()),
        store=object_store(),
        versions=S3ObjectVersions(s3_client(), settings.bucket_name),
        settings=settings,
        cdn=cdn_cache(),
    )


@cache
def ingestor() -> "Ingestor":
    from imageapi.domain.ingest import Ingestor

    return Ingestor(repository=repository(), store=object_store(), settings=get_settings(), process=_process_upload)


@cache
def prediction_service() -> "PredictionService":
    from imageapi.adapters.ml import ImagemlPredictor
    from imageapi.domain.ratelimit import LimitedPredictionService

    return LimitedPredictionService(images=image_service(), predictor=ImagemlPredictor(), limiter=_LazyLimiter())


def rebuild() -> None:
    """Forget settings, clients and use cases built from the environment; the next call of any
    factory here builds them again from the current ``os.environ``. The one way for the local
    stack and tests to follow an environment change (in Lambda it never changes)."""
    forget: list[Callable[[], None]] = [get_settings.cache_clear, _boto_config.cache_clear, s3_client.cache_clear]
    forget += [dynamodb_client.cache_clear, secretsmanager_client.cache_clear, cursor_codec.cache_clear]
    forget += [repository.cache_clear, object_store.cache_clear]
    forget += [image_service.cache_clear, ingestor.cache_clear, prediction_service.cache_clear]
    forget += [trash_service.cache_clear]
    forget += [rendition_signer.cache_clear]
    forget += [rate_limiter.cache_clear]
    for wiring in ("imageapi.context_events", "imageapi.context_edge"):  # only where a function loaded it
        module = sys.modules.get(wiring)
        if module is not None:
            forget.append(module.forget)
    for clear in forget:
        clear()


register_snapstart_hooks()  # inert outside Lambda and where SnapStart is off (imageapi.snapstart)
