"""Compatibility routes for clients written against flat RPC-style names (SPEC §3.8).
They call the same domain code as the resource routes; nothing here is a second implementation."""

from typing import Annotated, Any

from imageapi.context import image_service
from imageapi.domain.models import CompatImageId, CreatedUpload, DuplicateImage
from imageapi.http import uploads
from imageapi.http.api import (
    Query,
    Response,
    build_resolver,
    current_owner,
    json_response,
    lambda_entry,
    media_type,
    parse_json_body,
)

app = build_resolver()


@app.post(
    "/upload_image",
    summary="Upload (compatibility)",
    description=(
        "multipart/form-data with `file` (and optional `title`), JSON {url, title?}, or a raw image body "
        "(application/octet-stream or image/*) with ?title=."
    ),
    responses={201: {"description": "Created"}},
)
def upload_image() -> Response[CompatImageId]:
    owner = current_owner(app)
    uploads.check_query(app)
    if media_type(app) in ("application/json", ""):
        data = parse_json_body(app)
        if isinstance(data, dict) and "url" in data:
            data = {"title": data.get("title") or _title_from_url(str(data["url"])), "source_url": data["url"]}
        result = uploads.create_from_json(image_service(), owner, data)
    else:
        result = uploads.create(image_service(), app, owner)
    image_id = result.image.id if isinstance(result, CreatedUpload | DuplicateImage) else result.id
    return json_response(201, CompatImageId(image_id=image_id))


@app.get("/analyse_image", summary="Analysis (compatibility)")
def analyse_image(image_id: Annotated[str, Query(min_length=1, max_length=64)]) -> dict[str, Any]:
    analysis = image_service().get_analysis(current_owner(app), image_id)
    return {"image_id": image_id, **analysis.model_dump(mode="json")}


@app.get("/list_images", summary="List (compatibility)")
def list_images(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> dict[str, Any]:
    service = image_service()
    page = service.list_images(current_owner(app), limit=limit, cursor=cursor, status=None, query=None, embed=False)
    # The flat shape of SPEC §3.8: no embedded URLs (this function has no signer, nor its IAM).
    images = [{"image_id": item.id, **item.model_dump(mode="json", exclude={"renditions"})} for item in page.items]
    return {"images": images, "next_cursor": page.next_cursor}


def _title_from_url(url: str) -> str:
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    return (name or "imported image")[:200]


handler = lambda_entry(app)
