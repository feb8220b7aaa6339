"""Wiring: the only place that builds things. Every client, adapter and use case a function needs
is made here, lazily and once per container: a cold start pays only for what a request needs
(Pillow, the URL fetcher and the ML layer are imported on first use), a warm one reuses it all.

Handlers ask for a use case (``image_service()``, ``ingestor()``, ``prediction_service()``);
nothing else calls a constructor of an adapter. In Lambda the environment never changes inside a
container; the local stack and tests that change it call ``rebuild()`` afterwards, and the next
call of any factory builds from the new environment.
"""

import os
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from imageapi.adapters.dynamodb import DynamoImageRepository
from imageapi.adapters.dynamodb.trash import DynamoTrash
from imageapi.adapters.s3 import S3ObjectStore
from imageapi.adapters.s3_versions import S3ObjectVersions
from imageapi.domain.cursors import CursorCodec
from imageapi.domain.delivery import RenditionSigner
from imageapi.domain.images import ImageService
from imageapi.domain.ingest import Ingestor
from imageapi.domain.models import ResizeSpec
from imageapi.domain.ports import ProcessedUpload, RenderedImage
from imageapi.domain.predictions import PredictionService
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
def s3_client() -> "S3Client":
    import boto3

    return boto3.client("s3", config=_boto_config())


@cache
def dynamodb_client() -> "DynamoDBClient":
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
    """Pillow, imported on the first render only: cached downloads never pay for it."""

    def render(
        self,
        data: bytes,
        *,
        width: int | None,
        height: int | None,
        fit: str,
        format: str | None = None,
        quality: int | None = None,
    ) -> RenderedImage:
        from imageapi.adapters.pixels.renderer import PillowRenderer

        renderer = PillowRenderer(max_pixels=get_settings().max_pixels, policy=_pixel_policy())
        return renderer.render(data, width=width, height=height, fit=fit, format=format, quality=quality)


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
def image_service() -> ImageService:
    return ImageService(
        repository=repository(),
        store=object_store(),
        settings=get_settings(),
        renderer=_LazyRenderer(),
        fetcher=_fetch_url,
        signer=rendition_signer(),
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
    )


@cache
def ingestor() -> Ingestor:
    return Ingestor(repository=repository(), store=object_store(), settings=get_settings(), process=_process_upload)


@cache
def prediction_service() -> PredictionService:
    from imageapi.adapters.ml import ImagemlPredictor

    return PredictionService(images=image_service(), predictor=ImagemlPredictor())


def rebuild() -> None:
    """Forget settings, clients and use cases built from the environment; the next call of any
    factory here builds them again from the current ``os.environ``. The one way for the local
    stack and tests to follow an environment change (in Lambda it never changes)."""
    forget: list[Callable[[], None]] = [get_settings.cache_clear, _boto_config.cache_clear, s3_client.cache_clear]
    forget += [dynamodb_client.cache_clear, repository.cache_clear, object_store.cache_clear]
    forget += [image_service.cache_clear, ingestor.cache_clear, prediction_service.cache_clear]
    forget += [trash_service.cache_clear]
    forget += [rendition_signer.cache_clear]
    for clear in forget:
        clear()
