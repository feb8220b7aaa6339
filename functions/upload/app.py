"""POST /images: create an image (SPEC §3.2)."""

from aws_lambda_powertools.event_handler import Response
from imageapi.api import build_resolver, current_owner, json_response, lambda_entry
from imageapi.context import image_service
from imageapi.models import CreatedUpload, CreateUploadRequest, DuplicateImage

app = build_resolver()


@app.post(
    "/images",
    responses={
        201: {"description": "Pending image and its upload form"},
        200: {"description": "Duplicate of a ready image"},
    },
)
def create_image(request: CreateUploadRequest) -> Response[CreatedUpload | DuplicateImage]:
    result = image_service().create_upload(current_owner(app), request)
    if isinstance(result, DuplicateImage):
        return json_response(200, result)
    return json_response(201, result, headers={"Location": result.image.links.self})


handler = lambda_entry(app)
