"""GET and DELETE /images/{id} (SPEC §3.4)."""

from aws_lambda_powertools.event_handler import Response

from imageapi.context import image_service
from imageapi.domain.models import ImageOut
from imageapi.http.api import SECURITY_HEADERS, build_resolver, current_owner, lambda_entry

app = build_resolver()


@app.get("/images/<image_id>", summary="Get one image")
def get_image(image_id: str) -> ImageOut:
    service = image_service()
    return service.present(service.get_image(current_owner(app), image_id))


@app.delete("/images/<image_id>", summary="Delete an image", responses={204: {"description": "Deleted"}})
def delete_image(image_id: str) -> Response[None]:
    image_service().delete_image(current_owner(app), image_id)
    return Response(status_code=204, headers=SECURITY_HEADERS)


handler = lambda_entry(app)
