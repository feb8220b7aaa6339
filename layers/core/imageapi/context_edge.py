"""The wiring of renditions at the edge (issue 20), beside ``context`` (which it extends; split off
by the 300-line cap): the render function's use case with its asynchronous AVIF fill, and the CDN
cache a delete invalidates, with the lambda and cloudfront clients under them, built lazily and
once per container. ``context.rebuild()`` forgets them too (``forget``)."""

from functools import cache
from typing import TYPE_CHECKING, Any

from imageapi.context import _boto_config, _LazyRenderer, _traced, object_store, repository
from imageapi.settings import get_settings

if TYPE_CHECKING:
    from imageapi.domain.delivery import CdnCache
    from imageapi.domain.edge_render import EdgeRenderService


@cache
def _client(service: str) -> Any:
    _traced()
    import boto3

    return boto3.client(service, config=_boto_config())  # type: ignore[call-overload]


@cache
def edge_render_service() -> "EdgeRenderService":
    """The render function's use case: the CDN's fallback origin."""
    from imageapi.adapters.edge import fill_for
    from imageapi.domain.edge_render import EdgeRenderService

    fill = fill_for(get_settings().edge_fill, lambda key: edge_render_service().fill_object(key), _client)
    return EdgeRenderService(repository(), object_store(), _LazyRenderer(), get_settings(), fill)


@cache
def cdn_cache() -> "CdnCache | None":
    """The renditions distribution's cache where the template names it (the image function); its
    client is built on the first invalidation."""
    from imageapi.adapters.edge import CloudFrontCache

    return CloudFrontCache.from_environment(_client)


def forget() -> None:
    for factory in (_client, edge_render_service, cdn_cache):
        factory.cache_clear()
