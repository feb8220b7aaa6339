"""The edge render function (issue 20): the renditions CDN's fallback origin, behind a Lambda
function URL that only the distribution may invoke (origin access control, AWS_IAM).

A request is a miss of the bucket for one edge object (``GET /renditions/…/edge/{version}/
{width}_{quality}_{class}``, rewritten by the viewer-request function): it is rendered from the
original, stored under that key and answered (docs/formats.md, "At the edge"). The function's
other event, ``{"edge_fill": key}``, is its own asynchronous invoke storing an AVIF whose first
miss answered WebP. Pillow is imported on the first render only."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from imageapi.context_edge import edge_render_service
from imageapi.http.api import logger, metrics, tracer
from imageapi.http.edge import fill_key, handle


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    key = fill_key(event)
    if key is not None:
        stored = edge_render_service().fill_object(key)
        metrics.add_metric(name="EdgeFill_stored" if stored else "EdgeFill_skipped", unit="Count", value=1)
        return {"stored": stored}
    response = handle(event, edge_render_service())
    metrics.add_metric(name=f"EdgeRender_{response['statusCode']}", unit="Count", value=1)
    return response
