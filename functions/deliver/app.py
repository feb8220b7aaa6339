"""Webhook delivery (issue 19): the delivery queue -> each endpoint, over HTTPS.

A message is an event from the EventBridge rule (fanned out into one task per endpoint) or a task
(one attempt). A failed attempt hides its message until its next attempt and reports it as a
batch item failure, so the queue keeps it; the messages of a batch are delivered side by side."""

from concurrent.futures import ThreadPoolExecutor

from aws_lambda_powertools.utilities.typing import LambdaContext

from imageapi.context_events import dispatcher
from imageapi.http.api import logger, metrics, tracer

PARALLEL = 10  # the batch size: one slow receiver does not hold up the others


def _keep(record: dict) -> bool:
    try:
        return dispatcher().handle(record["body"], record["receiptHandle"])
    except Exception:
        # Left on the queue: it comes back after the visibility timeout (a retry, same webhook-id).
        logger.exception("delivery message failed", extra={"message_id": record.get("messageId")})
        return True


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict[str, list[dict[str, str]]]:
    records = event.get("Records") or []
    with ThreadPoolExecutor(max_workers=max(1, min(PARALLEL, len(records)))) as pool:
        kept = list(pool.map(_keep, records))
    return {
        "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r, keep in zip(records, kept, strict=True) if keep]
    }
