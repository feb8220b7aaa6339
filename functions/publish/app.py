"""The events publisher (issue 19): the images table's stream -> the EventBridge bus.

The event source mapping hands over only records that are state changes (its filter criteria,
adapters/dynamodb/stream.FILTERS). Events go out in stream order; when the bus refuses one, the
answer names that record and Lambda retries the batch from it (the events before it are not sent
again). A publisher that dies midway is retried whole: the events it had sent go again with the
same ids, which receivers dedupe."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from imageapi.adapters.dynamodb.stream import change_of
from imageapi.context_events import event_publisher
from imageapi.domain.events import publish_changes
from imageapi.http.api import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict[str, list[dict[str, str]]]:
    records = event.get("Records") or []
    changes = [(r["dynamodb"]["SequenceNumber"], change_of(r)) for r in records]
    first_failed = publish_changes(changes, event_publisher())
    published = sum(1 for _, change in changes if change is not None)
    metrics.add_metric(name="EventsPublished", unit="Count", value=published)
    if first_failed is None:
        return {"batchItemFailures": []}
    return {"batchItemFailures": [{"itemIdentifier": first_failed}]}
