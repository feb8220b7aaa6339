"""The SQS delivery queue (``TaskQueue`` of domain/webhooks/ports): tasks in, a failed attempt's
message hidden until its next attempt (visibility), and the last failure's copy in the DLQ."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from imageapi.domain.webhooks.models import DeliveryTask

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


def task_body(task: DeliveryTask) -> str:
    return json.dumps({"delivery": asdict(task)}, separators=(",", ":"))


class SqsTaskQueue:
    def __init__(self, client: SQSClient, queue_url: str, dead_letter_url: str) -> None:
        self._sqs = client
        self._url = queue_url
        self._dead_letter_url = dead_letter_url

    def enqueue(self, tasks: list[DeliveryTask]) -> None:
        if not tasks:
            return
        entries: list[Any] = [{"Id": str(i), "MessageBody": task_body(task)} for i, task in enumerate(tasks)]
        failed = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries).get("Failed") or []
        if failed:  # the caller fails and is retried (a fan-out's redelivery queues them again)
            raise RuntimeError(f"the delivery queue refused {len(failed)} of {len(entries)} tasks")

    def hide(self, receipt: str, seconds: int) -> None:
        self._sqs.change_message_visibility(QueueUrl=self._url, ReceiptHandle=receipt, VisibilityTimeout=seconds)

    def dead_letter(self, body: str) -> None:
        self._sqs.send_message(QueueUrl=self._dead_letter_url, MessageBody=body)
