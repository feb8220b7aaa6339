"""Lazily built AWS clients and services, one per container.

Built on first use rather than at import so a cold start pays only for what a request needs;
reused across invocations of a warm container.
"""

from functools import cache

from imageapi.cursors import CursorCodec
from imageapi.repository import DynamoImageRepository
from imageapi.service import Fetcher, ImageService, Renderer
from imageapi.settings import get_settings
from imageapi.storage import S3ObjectStore


@cache
def _boto_config():
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "max_attempts": 4}, signature_version="s3v4", connect_timeout=3, read_timeout=10
    )


@cache
def s3_client():
    import boto3

    return boto3.client("s3", config=_boto_config())


@cache
def dynamodb_client():
    import boto3

    return boto3.client("dynamodb", config=_boto_config())


@cache
def image_service() -> ImageService:
    settings = get_settings()
    repository = DynamoImageRepository(dynamodb_client(), settings.table_name, CursorCodec(settings.cursor_secret))
    store = S3ObjectStore(s3_client(), settings.bucket_name)
    return ImageService(repository=repository, store=store, settings=settings)


def url_fetcher() -> "Fetcher":
    """The SSRF-guarded fetch that URL import uses, configured from settings."""
    from imageapi.fetch import fetch_source

    settings = get_settings()

    def fetch(url: str) -> tuple[bytes, str | None]:
        source = fetch_source(
            url,
            max_bytes=settings.max_upload_bytes,
            timeout_s=settings.import_timeout_seconds,
            max_redirects=settings.import_max_redirects,
            allow_private=settings.import_allow_private_networks,
        )
        return source.data, source.content_type

    return fetch


def renderer() -> "Renderer":
    """Pillow, imported on first render only: cached downloads never pay for it."""
    from imageapi.renditions import PillowRenderer

    return PillowRenderer(max_pixels=get_settings().max_pixels)


def forget_environment() -> None:
    """Drop settings and clients built from the environment. In Lambda the environment never
    changes inside a container; local stacks and tests that change it call this instead."""
    get_settings.cache_clear()
    for factory in (_boto_config, s3_client, dynamodb_client, image_service):
        factory.cache_clear()
