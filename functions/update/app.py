"""PATCH /images/{id}: rename and/or change the served size, re-rendered from the original
(SPEC §3.4). Pillow is imported only when the size changes."""

from imageapi.context import image_service
from imageapi.domain.models import ImageOut, ImagePatch
from imageapi.http.api import build_resolver, current_owner, lambda_entry

app = build_resolver()


@app.patch("/images/<image_id>", summary="Rename or resize an image")
def update_image(image_id: str, patch: ImagePatch) -> ImageOut:
    service = image_service()
    return service.present(service.update_image(current_owner(app), image_id, patch))


handler = lambda_entry(app)
