"""Wiring: the only place that builds things. Every client, adapter and use case a function needs
is made here, lazily and once per container: a cold start pays only for what a request needs
(Pillow, the URL fetcher and the ML layer are imported on first use), a warm one reuses it all.

Handlers ask for a use case (``image_service()``, ``ingestor()``, ``prediction_service()``);
nothing else calls a constructor of an adapter. In Lambda the environment never changes inside a
container; the local stack and tests that change it call ``rebuild()`` afterwards, and the next
call of any factory builds from the new environment.
"""

import importlib
import os
import random
import sys
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

from imageapi.adapters.dynamodb import DynamoImageRepository
from imageapi.adapters.dynamodb.ratelimit import DynamoRateCounter
from imageapi.adapters.dynamodb.trash import DynamoTrash
from imageapi.adapters.edge import CloudFrontCache, fill_for
from imageapi.adapters.s3 import S3ObjectStore
from imageapi.adapters.s3_versions import S3ObjectVersions
from imageapi.domain.cursors import CursorCodec
from imageapi.domain.delivery import RenditionSigner
from imageapi.domain.edge_render import EdgeRenderService
from imageapi.domain.images import ImageService
from imageapi.domain.ingest import Ingestor
from imageapi.domain.models import ResizeSpec
from imageapi.domain.ports import ProcessedUpload, RenderedImage
from imageapi.domain.predictions import PredictionService
from imageapi.domain.ratelimit import (
    DIRECT_UPLOAD,
    PREDICTION,
    TRANSFORM,
    URL_IMPORT,
    LimitedImageService,
    LimitedPredictionService,
    RateLimiter,
    RateLimits,
)
from imageapi.domain.trash import TrashService
from imageapi.settings import get_settings

if TYPE_CHECKING:  # boto3 stubs are not needed at run time
    from botocore.config import Config
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

    from imageapi.adapters.pixels.policy import PixelPolicy


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
def repository() -> DynamoImageRepository:
    settings = get_settings()
    return DynamoImageRepository(dynamodb_client(), settings.table_name, CursorCodec(settings.cursor_secret))


@cache
def object_store() -> S3ObjectStore:
    return S3ObjectStore(s3_client(), get_settings().bucket_name)


class _LazyRenderer:
    """Pillow, imported on the first render only: cached downloads never pay for it. It is the
    ``Renderer`` (PATCH, transforms) and the ``EdgeRenderer`` (the CDN's misses)."""

    @staticmethod
    def _pillow() -> Any:
        from imageapi.adapters.pixels.renderer import PillowRenderer

        return PillowRenderer(max_pixels=get_settings().max_pixels, policy=_pixel_policy())

    def render(self, data: bytes, **arguments: Any) -> RenderedImage:
        return self._pillow().render(data, **arguments)

    def render_edge(self, data: bytes, **arguments: Any) -> RenderedImage:
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


def _process_upload(data: bytes, *, max_pixels: int, display: ResizeSpec | None = None) -> ProcessedUpload:
    from imageapi.adapters.pixels.process import process_upload

    return process_upload(data, max_pixels=max_pixels, display=display, policy=_pixel_policy())


@cache
def rendition_signer() -> RenditionSigner | None:
    """The signer of embedded rendition URLs (SPEC §3.10), or None for a function the template
    does not configure for it (DELIVERY_MODE is global; in cdn mode only the functions that embed
    URLs get CDN_BASE_URL and the key's secret). Building it reads nothing from AWS: in cdn mode
    the private key is read on the first signature, once per container."""
    mode = os.environ.get("DELIVERY_MODE")
    if not mode or (mode == "cdn" and not os.environ.get("CDN_BASE_URL")):
        return None
    from imageapi.adapters.signing import signer_from_environment

    return signer_from_environment()


@cache
def aws_client(service: str) -> Any:
    """Clients of the services only the edge needs (lambda, cloudfront), built on first use."""
    _traced()
    import boto3

    return boto3.client(service, config=_boto_config())  # type: ignore[call-overload]


@cache
def edge_render_service() -> EdgeRenderService:
    """The render function's use case: the CDN's fallback origin (issue 20)."""
    fill = fill_for(get_settings().edge_fill, lambda key: edge_render_service().fill_object(key), aws_client)
    return EdgeRenderService(repository(), object_store(), _LazyRenderer(), get_settings(), fill)


@cache
def rate_limiter() -> RateLimiter:
    settings = get_settings()
    per_route = {
        URL_IMPORT: settings.rate_limit_url_imports,
        DIRECT_UPLOAD: settings.rate_limit_direct_uploads,
        TRANSFORM: settings.rate_limit_transforms,
        PREDICTION: settings.rate_limit_predictions,
    }
    limits = RateLimits(window_seconds=settings.rate_limit_window_seconds, per_route=per_route)
    return RateLimiter(DynamoRateCounter(dynamodb_client(), settings.table_name), limits)


@cache
def image_service() -> ImageService:
    return LimitedImageService(
        repository=repository(),
        store=object_store(),
        settings=get_settings(),
        renderer=_LazyRenderer(),
        fetcher=_fetch_url,
        signer=rendition_signer(),
        limiter=rate_limiter(),
    )


@cache
def trash_service() -> TrashService:
    settings = get_settings()
    return TrashService(
        repository=repository(),
        bin=DynamoTrash(dynamodb_client(), settings.table_name, CursorCodec(settings.cursor_secret)),
        store=object_store(),
        versions=S3ObjectVersions(s3_client(), settings.bucket_name),
        settings=settings,
        cdn=CloudFrontCache.from_environment(aws_client),
    )


@cache
def ingestor() -> Ingestor:
    return Ingestor(repository=repository(), store=object_store(), settings=get_settings(), process=_process_upload)


@cache
def prediction_service() -> PredictionService:
    from imageapi.adapters.ml import ImagemlPredictor

    return LimitedPredictionService(images=image_service(), predictor=ImagemlPredictor(), limiter=rate_limiter())


def rebuild() -> None:
    """Forget settings, clients and use cases built from the environment; the next call of any
    factory here builds them again from the current ``os.environ``. The one way for the local
    stack and tests to follow an environment change (in Lambda it never changes)."""
    forget: list[Callable[[], None]] = [get_settings.cache_clear, _boto_config.cache_clear, s3_client.cache_clear]
    forget += [dynamodb_client.cache_clear, repository.cache_clear, object_store.cache_clear]
    forget += [image_service.cache_clear, ingestor.cache_clear, prediction_service.cache_clear]
    forget += [trash_service.cache_clear]
    forget += [rendition_signer.cache_clear]
    forget += [rate_limiter.cache_clear]
    forget += [aws_client.cache_clear, edge_render_service.cache_clear]
    for clear in forget:
        clear()


# ---------------------------------------------------------------- Lambda SnapStart (docs/decisions.md)
# With SnapStart, Lambda runs the init phase once per published version, snapshots the memory, and
# resumes every new execution environment from that snapshot. Whatever init left behind is then
# shared by all of them: the boto3 session and clients (credentials resolved before the snapshot,
# pooled connections that no longer exist), the ``random`` state (botocore's retry jitter: every
# restored environment would back off in step), and anything cached per container here (settings,
# signing keys read from Secrets Manager, the use cases built on the clients).


def before_snapshot() -> None:
    """Warm what every function's first request needs into the snapshot: boto3 imported and its
    service models loaded (by building the clients, dropped again after the restore)."""
    s3_client()
    dynamodb_client()


def after_restore() -> None:
    """Give each restored environment its own state: a new random seed, a new boto3 default
    session (fresh credentials), and no client, cache or use case from before the snapshot."""
    random.seed()
    boto3: Any = sys.modules.get("boto3")  # only when a client was built: nothing to drop otherwise
    if boto3 is not None:
        boto3.DEFAULT_SESSION = None
    rebuild()


def register_snapstart_hooks(runtime: ModuleType | None = None) -> bool:
    """Register the hooks with ``snapshot_restore_py`` (only the Lambda runtime ships it; the
    registrations are inert where SnapStart is off). True when registered."""
    if runtime is None:
        try:
            runtime = importlib.import_module("snapshot_restore_py")
        except ImportError:  # local stack, tests, benchmarks
            return False
    runtime.register_before_snapshot(before_snapshot)
    runtime.register_after_restore(after_restore)
    return True


register_snapstart_hooks()
