"""Driving the webhook functions in-process against moto (tests/integration/handlers): API calls
built from events/webhooks_create.json, and the delivery queue consumed the way Lambda's event
source mapping consumes it, by the test, so the test decides when time passes."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.harness.handlers import FakeContext

EVENTS = Path(__file__).resolve().parents[3] / "events"


class WebhookApi:
    def __init__(self, handlers: Callable[[str], ModuleType]) -> None:
        self._handlers = handlers
        self._sample = json.loads((EVENTS / "webhooks_create.json").read_text())

    def call(self, method: str, path: str, body: Any = None, *, sub: str = "alice", query: str = "") -> Any:
        from tests.integration.handlers.conftest import Reply

        event = copy.deepcopy(self._sample)
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["requestContext"]["http"]["method"] = method
        event["rawQueryString"] = query
        event["queryStringParameters"] = dict(p.split("=", 1) for p in query.split("&")) if query else None
        event["body"] = json.dumps(body) if body is not None else None
        event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = sub
        return Reply(self._handlers("webhooks").handler(event, FakeContext("WebhooksFunction")))


class DeliveryQueue:
    """A delivery queue of its own for one test (and its dead-letter queue), in moto, consumed by
    the real delivery handler; ``environment`` points the functions at it."""

    def __init__(self, handlers: Callable[[str], ModuleType], template: Any) -> None:
        import uuid

        from local import ACCOUNT_ID, REGION
        from local.aws import client

        self._handlers = handlers
        self.sqs = client("sqs", template.aws_url)
        name = f"webhook-test-{uuid.uuid4().hex[:12]}"
        self.dead_letter_url = self.sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        self.url = self.sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "180"})["QueueUrl"]
        self.arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"

    @property
    def environment(self) -> dict[str, str]:
        return {"delivery_queue_url": self.url, "delivery_dead_letter_queue_url": self.dead_letter_url}

    def receive(self) -> list[dict[str, Any]]:
        return self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0, AttributeNames=["All"]
        ).get("Messages", [])

    def run(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Invoke the delivery function with ``messages``; delete what succeeded, as the event
        source mapping does; answer the messages it kept (failures, hidden until their next try)."""
        from local.runtime.poller import sqs_record

        records = [sqs_record(m, self.arn) for m in messages]
        result = self._handlers("deliver").handler({"Records": records}, FakeContext("WebhookDeliveryFunction"))
        kept = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        for m in messages:
            if m["MessageId"] not in kept:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"])
        return [m for m in messages if m["MessageId"] in kept]

    def run_all(self, rounds: int = 5) -> list[dict[str, Any]]:
        """Deliver every visible message (and the tasks a fan-out queues); answer those kept."""
        kept: list[dict[str, Any]] = []
        for _ in range(rounds):
            messages = self.receive()
            if not messages:
                break
            kept += self.run(messages)
        return kept

    def visible_now(self, message: dict[str, Any]) -> None:
        """What time passing does to a hidden message: it becomes visible again."""
        self.sqs.change_message_visibility(
            QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )

    def dead_letters(self) -> list[str]:
        got = self.sqs.receive_message(QueueUrl=self.dead_letter_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        return [m["Body"] for m in got.get("Messages", [])]
