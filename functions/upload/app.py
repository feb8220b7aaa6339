"""POST /images: create an image three ways (SPEC §3.2): a presigned upload form (JSON),
import from a URL (JSON with source_url), or a small direct upload (multipart or image/*)."""

from imageapi.context import image_service
from imageapi.domain.models import CreatedUpload, DuplicateImage, ImageOut
from imageapi.http import uploads
from imageapi.http.api import Response, build_resolver, current_owner, json_response, lambda_entry

app = build_resolver()


@app.post(
    "/images",
    summary="Create an image",
    description=(
        "JSON {title, content_type, size, sha256?, resize?} answers 201 with a presigned POST form "
        "(or 200 {image, duplicate} when sha256 matches a ready image). JSON {title, source_url, resize?} "
        "imports from a URL. multipart/form-data (file, title, width?, height?, fit?) or an image/* body "
        "with ?title= uploads up to 4 MiB directly."
    ),
    responses={
        200: {"description": "Duplicate of a ready image"},
        201: {"description": "The new image (pending), with its upload form when presigned"},
    },
)
def create_image() -> Response[CreatedUpload | DuplicateImage | ImageOut]:
    service = image_service()
    result = uploads.create(service, app, current_owner(app))
    if isinstance(result, DuplicateImage):
        return json_response(200, result)
    if isinstance(result, CreatedUpload):
        return json_response(201, result, headers={"Location": result.image.links.self})
    image = service.present(result)
    return json_response(201, image, headers={"Location": image.links.self})


handler = lambda_entry(app)
