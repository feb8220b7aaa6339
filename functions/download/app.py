"""GET /images/{id}/download: a 302 to a short-lived presigned S3 GET (SPEC §3.5).

Variants were rendered at ingest; a transform (w, h, fit, format, quality) is rendered on first
request, stored under its canonical key and reused. No image bytes pass through this function's
response. Pillow is imported only on a transform's first render."""

from typing import Annotated

from imageapi.context import image_service
from imageapi.domain.formats import negotiate
from imageapi.domain.models import DownloadLink, Fit, OutputFormat, Transform, Variant
from imageapi.http.api import (
    SECURITY_HEADERS,
    Query,
    Response,
    build_resolver,
    current_owner,
    json_response,
    lambda_entry,
)

app = build_resolver()


@app.get(
    "/images/<image_id>/download",
    summary="Download a variant or an on-demand transform",
    responses={
        302: {"description": "Redirect to a presigned S3 URL"},
        200: {"description": "The URL (redirect=false)"},
    },
)
def download(
    image_id: str,
    variant: Annotated[Variant, Query()] = Variant.display,
    w: Annotated[int | None, Query(ge=1, le=4096)] = None,
    h: Annotated[int | None, Query(ge=1, le=4096)] = None,
    fit: Annotated[Fit | None, Query()] = None,
    format: Annotated[OutputFormat | None, Query()] = None,
    quality: Annotated[int | None, Query(ge=1, le=100)] = None,
    redirect: Annotated[bool, Query()] = True,
) -> Response[DownloadLink | None]:
    vary: dict[str, str] = {}
    if format is OutputFormat.auto:  # resolved here, so the canonical key names the real format
        format = OutputFormat(negotiate(app.current_event.headers.get("accept")))
        vary = {"Vary": "Accept"}
    wanted = {"width": w, "height": h, "fit": fit, "format": format, "quality": quality}
    transform = Transform(**{k: v for k, v in wanted.items() if v is not None}) if any(wanted.values()) else None
    link = image_service().download(current_owner(app), image_id, variant, transform)
    cache = {"Cache-Control": f"private, max-age={link.cache_seconds}", **vary}
    if redirect:
        return Response(status_code=302, headers={**SECURITY_HEADERS, **cache, "Location": link.url})
    return json_response(200, DownloadLink(url=link.url, expires_at=link.expires_at), headers=cache)


handler = lambda_entry(app)
