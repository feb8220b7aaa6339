"""Storing a rendered image and building the record of it: one way for ingest and PATCH."""

from imageapi.domain import keys
from imageapi.domain.models import Rendition
from imageapi.domain.ports import ObjectStore, RenderedImage


def store_rendition(store: ObjectStore, owner: str, image_id: str, name: str, rendered: RenderedImage) -> Rendition:
    key = keys.rendition_key(owner, image_id, name)
    store.put(key, rendered.data, rendered.content_type)
    return Rendition(
        key=key,
        content_type=rendered.content_type,
        width=rendered.width,
        height=rendered.height,
        bytes=len(rendered.data),
    )
