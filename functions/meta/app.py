"""GET /health, /openapi.json, /docs: public service routes (SPEC §3.9).

The OpenAPI document is generated from every function's routes and models at build time
(`make openapi`, checked by a test) and shipped in the core layer, because at run time each
function only knows its own routes.
"""

import json
from importlib import resources
from typing import Any

from imageapi import __version__
from imageapi.domain.formats import extension_types
from imageapi.domain.health import Health, PublicLimits
from imageapi.http.api import SECURITY_HEADERS, Response, build_resolver, lambda_entry
from imageapi.settings import get_settings

app = build_resolver()

# Swagger UI's bundle is inlined, so the page needs inline script and style; nothing else.
DOCS_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def openapi_document() -> str:
    return resources.files("imageapi").joinpath("openapi.json").read_text(encoding="utf-8")


@app.get("/health")
def health() -> Health:
    settings = get_settings()
    limits = PublicLimits(
        max_upload_bytes=settings.max_upload_bytes,
        max_direct_upload_bytes=settings.max_direct_upload_bytes,
        max_pixels=settings.max_pixels,
        max_renditions_per_image=settings.max_renditions_per_image,
        max_animation_frames=settings.max_animation_frames,
        max_animation_pixels=settings.max_animation_pixels,
        max_animation_output_bytes=settings.max_animation_output_bytes,
        heic=settings.heic_enabled,
        file_types=extension_types(heic=settings.heic_enabled),
        rate_limits={
            "url-import": settings.rate_limit_url_imports,
            "direct-upload": settings.rate_limit_direct_uploads,
            "transform": settings.rate_limit_transforms,
            "prediction": settings.rate_limit_predictions,
            "webhooks": settings.rate_limit_webhooks,
        },
        rate_limit_window_seconds=settings.rate_limit_window_seconds,
        edge_widths=list(settings.edge_widths),
    )
    return Health(version=__version__, limits=limits)


@app.get("/openapi.json")
def openapi() -> dict[str, Any]:
    return json.loads(openapi_document())


@app.get("/docs")
def docs() -> Response[str]:
    # Imported here, not at module level: the Swagger UI helpers build Powertools' pydantic OpenAPI
    # models on import, by far the largest import cost of this function, and only /docs needs them.
    from aws_lambda_powertools.event_handler.openapi import swagger_ui
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

    assets = resources.files(swagger_ui)
    html = generate_swagger_html(
        openapi_document().replace("</", "<\\/"),
        assets.joinpath("swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        assets.joinpath("swagger-ui.min.css").read_text(encoding="utf-8"),
        "",
        None,
    )
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": DOCS_CSP, "Cache-Control": "public, max-age=300"}
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=html, headers=headers)


handler = lambda_entry(app)
