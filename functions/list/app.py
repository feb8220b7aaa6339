"""GET /images: the owner's images, newest first (SPEC §3.3)."""

from typing import Annotated

from imageapi.context import image_service, trash_service
from imageapi.domain.models import ImagePage, ImageStatus
from imageapi.http.api import Query, build_resolver, current_owner, lambda_entry

app = build_resolver()


@app.get("/images", compress=True)  # gzip: a srcset repeats its signature per width (issue 20)
def list_images(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    status: Annotated[ImageStatus | None, Query()] = None,
) -> ImagePage:
    if status is ImageStatus.deleted:  # the trash: newest deletion first (domain/trash)
        return trash_service().list_trash(current_owner(app), limit=limit, cursor=cursor, query=q)
    return image_service().list_images(current_owner(app), limit=limit, cursor=cursor, status=status, query=q)


handler = lambda_entry(app)
