"""The events publisher in-process against moto (issue 19): stream records in, events on the
stack's EventBridge bus out, where an AWS-native consumer's rule (``image.ready`` -> an SQS queue
of its own, as docs/events.md shows) receives them; a put the bus refuses is reported so the event
source mapping retries from that record."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.harness.handlers import FakeContext

EVENTS = Path(__file__).resolve().parents[3] / "events"


def _stream_event(*changes: tuple[str, int]) -> dict[str, Any]:
    """The sample stream event with one record per (event type, sequence number)."""
    sample = json.loads((EVENTS / "publish_stream.json").read_text())
    records = []
    for n, (event_type, sequence) in enumerate(changes):
        record = copy.deepcopy(sample["Records"][0])
        image = record["dynamodb"]["NewImage"]
        image["ev"]["S"], image["seq"]["N"] = event_type, str(sequence)
        record["dynamodb"]["SequenceNumber"] = f"{111100000000000000000001 + n}"
        records.append(record)
    return {"Records": records}


def _publish(handlers: Callable[[str], ModuleType], event: dict[str, Any]) -> dict[str, Any]:
    return handlers("publish").handler(event, FakeContext("EventsPublisherFunction"))


def test_a_rule_on_the_bus_delivers_image_ready_to_an_sqs_queue(
    handlers: Callable[[str], ModuleType], aws: Any, settings_override: Any
) -> None:
    from local.aws import client

    bus = aws.buses["EventBus"].name
    settings_override(event_bus_name=bus)
    events, sqs = client("events", aws.aws_url), client("sqs", aws.aws_url)
    name = f"reader-{uuid.uuid4().hex[:8]}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # The rule of docs/events.md: only image.ready, from this service, to the reader's queue.
    pattern = {"source": ["serverless-image-api"], "detail-type": ["image.ready"]}
    events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "reader", "Arn": queue_arn}])

    result = _publish(handlers, _stream_event(("image.created", 1), ("image.ready", 2), ("image.updated", 3)))
    assert result == {"batchItemFailures": []}
    got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    assert len(got) == 1
    envelope = json.loads(got[0]["Body"])
    assert envelope["source"] == "serverless-image-api" and envelope["detail-type"] == "image.ready"
    detail = envelope["detail"]
    assert detail["id"] == "evt_01JDQZ8Z6J8V0000000000ABCD_2" and detail["sequence"] == 2 and detail["owner"] == "alice"
    assert detail["data"]["image"]["links"]["self"] == "/images/01JDQZ8Z6J8V0000000000ABCD"


def test_a_put_the_bus_refuses_is_retried_from_that_record(
    handlers: Callable[[str], ModuleType], aws: Any, settings_override: Any
) -> None:
    settings_override(event_bus_name="no-such-bus")  # the bus refuses: nothing goes out
    event = _stream_event(("image.created", 1), ("image.ready", 2))
    result = _publish(handlers, event)
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["dynamodb"]["SequenceNumber"]}]}


def test_records_that_are_no_state_change_publish_nothing(handlers: Callable[[str], ModuleType], aws: Any) -> None:
    event = _stream_event(("image.ready", 2))
    del event["Records"][0]["dynamodb"]["NewImage"]["ev"]  # a write that changed no state
    assert _publish(handlers, event) == {"batchItemFailures": []}
