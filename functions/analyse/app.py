"""GET /images/{id}/analysis: what ingest learned about the image (SPEC §3.6)."""

from imageapi.context import image_service
from imageapi.domain.models import Analysis
from imageapi.http.api import build_resolver, current_owner, lambda_entry

app = build_resolver()


@app.get("/images/<image_id>/analysis")
def get_analysis(image_id: str) -> Analysis:
    return image_service().get_analysis(current_owner(app), image_id)


handler = lambda_entry(app)
