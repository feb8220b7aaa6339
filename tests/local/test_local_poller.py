"""The SQS poller feeds the handler as an event source mapping does: batches, partial batch
failures, retries after the visibility timeout, and redrive to the dead-letter queue."""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from local.runtime.poller import failed_message_ids
from local.stack import LocalStack


def _worker() -> Any:
    return sys.modules["_local_fn_WorkerFunction"]


def _seen(body: str) -> list[dict[str, Any]]:
    module = sys.modules.get("_local_fn_WorkerFunction")
    if module is None:
        return []
    return [r for call in list(module.RECEIVED) for r in call["records"] if r["body"] == body]


def _wait_for(condition: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def _dlq_bodies(stack: LocalStack, sqs: Any, found: set[str]) -> set[str]:
    assert stack.template
    for m in sqs.receive_message(
        QueueUrl=stack.template.queue_url("WorkDeadLetterQueue"), MaxNumberOfMessages=10, WaitTimeSeconds=0
    ).get("Messages", []):
        found.add(m["Body"])
    return found


def test_batch_with_partial_failure_and_redrive(stack: LocalStack, sqs: Any) -> None:
    assert stack.template
    tag = uuid.uuid4().hex[:8]
    ok1, ok2, bad = f"ok-{tag}-1", f"ok-{tag}-2", f"fail-{tag}"
    sqs.send_message_batch(
        QueueUrl=stack.template.queue_url("WorkQueue"),
        Entries=[
            {
                "Id": str(i),
                "MessageBody": body,
                "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "t"}},
            }
            for i, body in enumerate((ok1, ok2, bad))
        ],
    )

    dead: set[str] = set()
    _wait_for(lambda: bad in _dlq_bodies(stack, sqs, dead))
    # the good ones were delivered once and deleted; the failed one exactly maxReceiveCount (2) times
    assert len(_seen(ok1)) == 1 and len(_seen(ok2)) == 1
    assert len(_seen(bad)) == 2
    assert [r["attributes"]["ApproximateReceiveCount"] for r in _seen(bad)] == ["1", "2"]
    assert ok1 not in dead and ok2 not in dead
    # all three arrived in one batch (batch size 5, batching window)
    first_batch = next(call["records"] for call in _worker().RECEIVED if any(r["body"] == ok1 for r in call["records"]))
    assert {r["body"] for r in first_batch} == {ok1, ok2, bad}

    record = _seen(ok1)[0]
    assert record["eventSource"] == "aws:sqs" and record["awsRegion"] == "us-east-1"
    assert record["eventSourceARN"] == stack.template.queue_arn("WorkQueue")
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "t",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert {"messageId", "receiptHandle", "md5OfBody"} <= set(record)
    assert {"SentTimestamp", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])


def test_raising_handler_retries_the_batch(stack: LocalStack, sqs: Any) -> None:
    assert stack.template
    body = f"raise-{uuid.uuid4().hex[:8]}"
    sqs.send_message(QueueUrl=stack.template.queue_url("WorkQueue"), MessageBody=body)
    dead: set[str] = set()
    _wait_for(lambda: body in _dlq_bodies(stack, sqs, dead))
    assert len(_seen(body)) == 2


@pytest.mark.parametrize(
    ("result", "report", "failed"),
    [
        (None, True, set()),
        ({"batchItemFailures": []}, True, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, True, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, False, set()),
        ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, True, {"a", "b", "c"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, True, {"a", "b", "c"}),
    ],
)
def test_failed_message_ids(result: Any, report: bool, failed: set[str]) -> None:
    assert failed_message_ids(result, ["a", "b", "c"], report) == failed
