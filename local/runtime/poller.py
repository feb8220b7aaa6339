"""An SQS event source mapping, locally: one thread per SQS event of the template that receives
batches, invokes the handler with the Lambda SQS event, and deletes what succeeded.

Failed messages are left alone so they become visible again after the (short, local) visibility
timeout; moto moves a message to the dead-letter queue once its receive count reaches the redrive
policy's maxReceiveCount, as SQS does.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .. import REGION
from ..aws import client
from ..template import FunctionSpec, LocalTemplate, SqsTrigger
from .handlers import HandlerRegistry

log = logging.getLogger("local.runtime.poller")


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """One record of the event Lambda's SQS event source mapping sends."""
    attributes = {k: v for k, v in (message.get("Attributes") or {}).items()}
    message_attributes = {}
    for name, attr in (message.get("MessageAttributes") or {}).items():
        message_attributes[name] = {
            "stringValue": attr.get("StringValue"),
            "binaryValue": attr.get("BinaryValue"),
            "stringListValues": attr.get("StringListValues", []),
            "binaryListValues": attr.get("BinaryListValues", []),
            "dataType": attr.get("DataType"),
        }
        message_attributes[name] = {k: v for k, v in message_attributes[name].items() if v is not None}
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def failed_message_ids(result: Any, batch_ids: list[str], report_failures: bool) -> set[str]:
    """Which messages of a batch stay on the queue after the handler returned `result`."""
    if not report_failures or not isinstance(result, dict) or not result.get("batchItemFailures"):
        return set()
    failed: set[str] = set()
    for item in result["batchItemFailures"]:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in batch_ids:
            # Lambda treats a malformed failure report as a failure of the whole batch.
            return set(batch_ids)
        failed.add(identifier)
    return failed


class SqsPoller:
    def __init__(
        self,
        template: LocalTemplate,
        fn: FunctionSpec,
        trigger: SqsTrigger,
        handlers: HandlerRegistry,
        endpoint_url: str,
        visibility_timeout: int = 3,
    ) -> None:
        self.fn, self.trigger, self.handlers = fn, trigger, handlers
        self.queue_url = template.queue_url(trigger.queue_id)
        self.queue_arn = template.queue_arn(trigger.queue_id)
        self.visibility_timeout = visibility_timeout
        self._sqs = client("sqs", endpoint_url)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"poller-{fn.logical_id}-{trigger.event_id}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop polling; a handler still running is not interrupted (the thread is a daemon)."""
        self._stop.set()
        # A stop signal can arrive while start() runs: a thread never (or not yet fully) started
        # is not joined; it is a daemon and sees the flag if it runs at all.
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except (ClientError, BotoCoreError) as exc:  # queue gone, endpoint stopping, ...
                log.warning("%s: polling %s failed: %s", self.fn.logical_id, self.queue_url, exc)
                self._stop.wait(1.0)

    def _receive(self, max_messages: int, wait: int) -> list[dict[str, Any]]:
        return self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max(1, min(10, max_messages)),
            WaitTimeSeconds=wait,
            VisibilityTimeout=self.visibility_timeout,
            AttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])

    def poll_once(self) -> int:
        """Receive one batch (waiting up to the batching window to fill it) and process it."""
        messages = self._receive(self.trigger.batch_size, wait=1)
        # The window must end well before the first messages become visible again.
        window = min(self.trigger.batching_window_seconds, 1.0, self.visibility_timeout / 2)
        deadline = time.monotonic() + window
        while messages and len(messages) < self.trigger.batch_size and time.monotonic() < deadline:
            more = self._receive(self.trigger.batch_size - len(messages), wait=0)
            if not more:
                time.sleep(0.1)
            seen = {m["MessageId"] for m in messages}
            messages.extend(m for m in more if m["MessageId"] not in seen)
        if messages:
            self._process(messages)
        return len(messages)

    def _process(self, messages: list[dict[str, Any]]) -> None:
        event = {"Records": [sqs_record(m, self.queue_arn) for m in messages]}
        ids = [m["MessageId"] for m in messages]
        try:
            result = self.handlers.invoke(self.fn, event)
        except Exception:
            log.error(
                "%s failed on a batch of %d; it will be retried:\n%s",
                self.fn.logical_id,
                len(messages),
                traceback.format_exc(),
            )
            return
        failed = failed_message_ids(result, ids, self.trigger.report_batch_item_failures)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )


def pollers_for(
    template: LocalTemplate, handlers: HandlerRegistry, endpoint_url: str, visibility_timeout: int = 3
) -> list[SqsPoller]:
    return [
        SqsPoller(template, fn, trigger, handlers, endpoint_url, visibility_timeout)
        for fn in template.functions.values()
        for trigger in fn.sqs_triggers
    ]
