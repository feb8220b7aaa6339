"""GET and DELETE /images/{id} (SPEC §3.4), and POST /images/{id}/restore (the trash)."""

from typing import Annotated

from imageapi.context import image_service, trash_service
from imageapi.domain.models import ImageOut
from imageapi.http.api import SECURITY_HEADERS, Query, Response, build_resolver, current_owner, lambda_entry

app = build_resolver()


@app.get("/images/<image_id>", summary="Get one image", compress=True)
def get_image(image_id: str) -> ImageOut:
    service = image_service()
    return service.present(service.get_image(current_owner(app), image_id))


@app.delete(
    "/images/<image_id>",
    summary="Delete an image (into the trash, or permanently)",
    responses={204: {"description": "Deleted"}},
)
def delete_image(
    image_id: str,
    permanent: Annotated[
        bool, Query(description="true: remove every object version and record at once, also from the trash")
    ] = False,
) -> Response[None]:
    trash_service().delete(current_owner(app), image_id, permanent=permanent)
    return Response(status_code=204, headers=SECURITY_HEADERS)


@app.post("/images/<image_id>/restore", summary="Restore an image from the trash")
def restore_image(image_id: str) -> ImageOut:
    return ImageOut.of(trash_service().restore(current_owner(app), image_id))


handler = lambda_entry(app)
