"""Ingest: S3 ObjectCreated -> SQS -> here (SPEC §4). Partial batch failures: one bad message
never fails its neighbours, and a poison message reaches the dead-letter queue after the
queue's bounded receives."""

import json
import time

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from imageapi.context import ingestor
from imageapi.http.api import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    event = S3Event(json.loads(record.body))
    if not event.raw_event.get("Records"):  # s3:TestEvent when the notification is configured
        return
    # SentTimestamp: when S3's notification reached the queue (epoch ms); the rest is queue wait.
    sent = (record.raw_event.get("attributes") or {}).get("SentTimestamp")
    queue_wait_ms = max(0.0, time.time() * 1000 - int(sent)) if sent else None
    for s3_record in event.records:
        outcome = ingestor().ingest(s3_record.s3.get_object.key, queue_wait_ms=queue_wait_ms)
        metrics.add_metric(name=f"Ingest_{outcome.value}", unit="Count", value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
