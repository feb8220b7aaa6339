"""Turns the three request shapes of POST /images (SPEC §3.2) into service calls. Shared by
the upload function and the compatibility route, so there is one implementation of each way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayHttpResolver
from pydantic import BaseModel, ConfigDict

from imageapi.domain.errors import FieldError, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from imageapi.domain.models import (
    CreatedUpload,
    CreateUploadRequest,
    DuplicateImage,
    Fit,
    ImageRecord,
    ImportFromUrlRequest,
    ResizeSpec,
    Side,
    Title,
)
from imageapi.http.api import media_type, parse_json_body, raw_body, validate

if TYPE_CHECKING:
    from imageapi.domain.images import ImageService

UNTITLED = "untitled image"
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around a file at the limit


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"direct uploads are limited to {limit} bytes; for larger files ask for a presigned upload: "
        "POST /images with JSON {title, content_type, size}, then POST the file to the returned form"
    )


def create_from_json(service: ImageService, owner: str, data: object) -> CreatedUpload | DuplicateImage | ImageRecord:
    if isinstance(data, dict) and "source_url" in data:
        return service.import_from_url(owner, validate(ImportFromUrlRequest, data))
    return service.create_upload(owner, validate(CreateUploadRequest, data))


def create_from_multipart(service: ImageService, app: APIGatewayHttpResolver, owner: str) -> ImageRecord:
    limit = service.settings.max_direct_upload_bytes
    body = raw_body(app)
    if len(body) > limit + MULTIPART_OVERHEAD:
        raise _too_large(limit)
    try:
        from imageapi.http.multipart import parse_multipart  # python-multipart: direct uploads only

        form = parse_multipart(body, app.current_event.headers.get("content-type", ""), max_bytes=limit)
    except PayloadTooLarge as error:
        raise _too_large(limit) from error
    upload = form.files.get("file")
    if upload is None:
        raise ValidationFailed("a multipart upload needs a 'file' part", errors=[FieldError("file", "required")])
    title = form.fields.get("title") or (upload.filename or "").strip() or None
    params = validate(_DirectParams, {"title": title, **_resize_fields(form.fields)})
    return service.store_direct(owner, params.title, upload.data, upload.content_type, params.resize())


def create_from_raw_body(service: ImageService, app: APIGatewayHttpResolver, owner: str) -> ImageRecord:
    limit = service.settings.max_direct_upload_bytes
    body = raw_body(app)
    if len(body) > limit:
        raise _too_large(limit)
    query = app.current_event.query_string_parameters or {}
    # No file name to fall back on: an untitled raw body gets a neutral title (rename with PATCH).
    params = validate(_DirectParams, {"title": query.get("title") or UNTITLED, **_resize_fields(query)})
    return service.store_direct(owner, params.title, body, media_type(app), params.resize())


def check_query(app: APIGatewayHttpResolver) -> None:
    """The query parameters of a raw body (title, width, height, fit), sent with another body:
    checked all the same (422), not silently ignored."""
    if is_raw_body(media_type(app)):
        return  # create_from_raw_body validates them itself
    query = app.current_event.query_string_parameters or {}
    validate(_QueryParams, {name: query[name] for name in ("title", *_RESIZE_FIELDS) if query.get(name)})


def is_raw_body(kind: str) -> bool:
    return kind.startswith("image/") or kind == "application/octet-stream"


def create(
    service: ImageService, app: APIGatewayHttpResolver, owner: str
) -> CreatedUpload | DuplicateImage | ImageRecord:
    kind = media_type(app)
    check_query(app)
    if kind in ("application/json", ""):
        return create_from_json(service, owner, parse_json_body(app))
    if kind == "multipart/form-data":
        return create_from_multipart(service, app, owner)
    if is_raw_body(kind):
        return create_from_raw_body(service, app, owner)
    raise UnsupportedMediaType(
        f"content type {kind!r} is not accepted; send application/json, multipart/form-data or an image/* body"
    )


# --------------------------------------------------------------------------- helpers


class _DirectParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: Title
    width: Side | None = None
    height: Side | None = None
    fit: Fit = Fit.contain

    def resize(self) -> ResizeSpec | None:
        spec = ResizeSpec(width=self.width, height=self.height, fit=self.fit)
        return None if spec.is_empty() else spec


class _QueryParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: Title | None = None
    width: Side | None = None
    height: Side | None = None
    fit: Fit | None = None


_RESIZE_FIELDS = ("width", "height", "fit")


def _resize_fields(values: dict[str, str]) -> dict[str, str]:
    return {name: values[name] for name in _RESIZE_FIELDS if values.get(name) not in (None, "")}
