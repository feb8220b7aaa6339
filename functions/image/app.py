"""GET /images/{id}: one image (SPEC §3.4)."""

from imageapi.api import build_resolver, current_owner, lambda_entry
from imageapi.context import image_service
from imageapi.models import ImageOut

app = build_resolver()


@app.get("/images/<image_id>")
def get_image(image_id: str) -> ImageOut:
    return ImageOut.of(image_service().get_image(current_owner(app), image_id))


handler = lambda_entry(app)
