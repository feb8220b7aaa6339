"""A DynamoDB stream event source mapping, locally (issue 19): one thread per stream trigger of the
template that reads the table's stream through the DynamoDB Streams API of the local endpoint
(moto's server implements it: shards, iterators, records with old and new images) and invokes the
handler as Lambda's event source mapping does:

- records in stream order, in batches of up to ``BatchSize``;
- ``FilterCriteria`` applied first (EventBridge pattern syntax, matched by moto's own matcher):
  records that match no pattern are dropped, as Lambda drops them, and never invoke the function;
- the record shape Lambda hands over: ``dynamodb.ApproximateCreationDateTime`` in epoch seconds,
  binary attributes base64, ``userIdentity`` in its Lambda spelling on TTL deletions;
- a batch the function fails is retried (split in halves with ``BisectBatchOnFunctionError``) until
  it succeeds, the ``MaximumRetryAttempts: -1`` of the template; with ``ReportBatchItemFailures``
  the retry starts at the first failed record, the ones before it are done.

It starts at the stream's end (LATEST) once the stack's resources exist, so what setting the stack
up wrote (a restored snapshot) is not replayed as state changes.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import traceback
from collections import deque
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from .. import REGION
from ..aws import client
from ..aws.endpoint import STREAM_WRITES
from ..template import FunctionSpec, LocalTemplate, StreamTrigger

log = logging.getLogger("local.runtime.streams")

# A poller reads its stream when the endpoint in this process signals a new record (StreamWrites);
# without a signal it still looks once a second.
IDLE_WAIT = 1.0
MAX_BACKOFF = 2.0


class Invoker(Protocol):
    def invoke(self, fn: FunctionSpec, event: dict[str, Any]) -> Any: ...


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    """An attribute value as Lambda's JSON event carries it (binary as base64)."""
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(b).decode() for b in inner]}
    if kind == "M":
        return {"M": {k: _attribute(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_attribute(v) for v in inner]}
    return {kind: inner}


def _image(image: dict[str, Any]) -> dict[str, Any]:
    return {name: _attribute(value) for name, value in image.items()}


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record of the Streams API (as boto3 parses it) in the shape Lambda's event carries."""
    stream = record["dynamodb"]
    out: dict[str, Any] = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", REGION),
        "dynamodb": {
            "ApproximateCreationDateTime": int(stream["ApproximateCreationDateTime"].timestamp()),
            "Keys": _image(stream["Keys"]),
            "SequenceNumber": stream["SequenceNumber"],
            "SizeBytes": stream.get("SizeBytes", 0),
            "StreamViewType": stream.get("StreamViewType", "NEW_AND_OLD_IMAGES"),
        },
        "eventSourceARN": stream_arn,
    }
    for name in ("NewImage", "OldImage"):
        if name in stream:
            out["dynamodb"][name] = _image(stream[name])
    identity = record.get("userIdentity")
    if identity:
        out["userIdentity"] = {"type": identity.get("Type"), "principalId": identity.get("PrincipalId")}
    return out


class RecordFilter:
    """Lambda's FilterCriteria: a record passes when any pattern matches (none given: every record)."""

    def __init__(self, patterns: tuple[dict[str, Any], ...]) -> None:
        from moto.events.models import EventPattern

        self._patterns = [EventPattern.load(json.dumps(p)) for p in patterns]

    def __call__(self, record: dict[str, Any]) -> bool:
        return not self._patterns or any(p.matches_event(record) for p in self._patterns)  # type: ignore[arg-type]


def first_failed(result: Any, batch: list[dict[str, Any]], report_failures: bool) -> int | None:
    """The index in ``batch`` to retry from after the handler returned ``result`` (None: all done)."""
    if not report_failures or not isinstance(result, dict) or not result.get("batchItemFailures"):
        return None
    numbers = [r["dynamodb"]["SequenceNumber"] for r in batch]
    failed = [item.get("itemIdentifier") if isinstance(item, dict) else None for item in result["batchItemFailures"]]
    if any(identifier not in numbers for identifier in failed):
        return 0  # a malformed report fails the whole batch, as Lambda treats it
    return min(numbers.index(identifier) for identifier in failed)


class StreamPoller:
    def __init__(
        self, template: LocalTemplate, fn: FunctionSpec, trigger: StreamTrigger, invoker: Invoker, endpoint_url: str
    ) -> None:
        self.fn, self.trigger, self.invoker = fn, trigger, invoker
        table = template.tables[trigger.table_id].name
        self._streams = client("dynamodbstreams", endpoint_url)
        self.stream_arn = client("dynamodb", endpoint_url).describe_table(TableName=table)["Table"]["LatestStreamArn"]
        shard = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
        # Taken now, before the stack serves anything: every later write is read.
        self._iterator: str | None = self._streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType="LATEST"
        )["ShardIterator"]
        self._filter = RecordFilter(trigger.filter_patterns)
        self._pending: deque[dict[str, Any]] = deque()  # read and matched, not yet done
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"stream-{fn.logical_id}-{trigger.event_id}", daemon=True
        )
        self.invocations = 0

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        self._stop.set()
        STREAM_WRITES.notify()  # wakes the waiting thread: it sees the flag at once

    def stop(self, timeout: float = 2.0) -> None:
        self.request_stop()
        # A stop signal can arrive while start() runs: a thread never (or not yet fully) started
        # is not joined; it is a daemon and sees the flag if it runs at all.
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)

    def _run(self) -> None:
        backoff = 0.0
        while not self._stop.is_set():
            try:
                seen = STREAM_WRITES.generation  # before reading: a record written meanwhile wakes the wait
                self._read()
                if not self._pending:
                    STREAM_WRITES.wait(seen, IDLE_WAIT)
                    continue
                ok = self._deliver()
                backoff = 0.0 if ok else min(MAX_BACKOFF, max(0.1, backoff * 2))
                if backoff:
                    self._stop.wait(backoff)
            except (ClientError, BotoCoreError) as exc:  # endpoint stopping, table dropped
                log.warning("%s: reading %s failed: %s", self.fn.logical_id, self.stream_arn, exc)
                self._stop.wait(1.0)

    def _read(self) -> None:
        """Append what the stream has beyond the iterator (while the batch has room)."""
        while self._iterator and len(self._pending) < self.trigger.batch_size:
            answer = self._streams.get_records(ShardIterator=self._iterator, Limit=1000)
            self._iterator = answer.get("NextShardIterator")
            records = answer.get("Records") or []
            self._pending.extend(r for r in (lambda_record(r, self.stream_arn) for r in records) if self._filter(r))
            if not records:
                return

    def _deliver(self) -> bool:
        """Invoke the function with the next batch; True when it all went through."""
        batch = [self._pending[i] for i in range(min(self.trigger.batch_size, len(self._pending)))]
        done = self._invoke(batch)
        for _ in range(done):
            self._pending.popleft()
        return done == len(batch)

    def _invoke(self, batch: list[dict[str, Any]]) -> int:
        """How many records of ``batch`` (from its start) are done."""
        self.invocations += 1
        try:
            result = self.invoker.invoke(self.fn, {"Records": batch})
        except Exception:
            log.error(
                "%s failed on a batch of %d; it will be retried:\n%s",
                self.fn.logical_id,
                len(batch),
                traceback.format_exc(),
            )
            if self.trigger.bisect_on_error and len(batch) > 1:
                half = len(batch) // 2
                done = self._invoke(batch[:half])
                return done if done < half else half + self._invoke(batch[half:])
            return 0
        failed = first_failed(result, batch, self.trigger.report_batch_item_failures)
        return len(batch) if failed is None else failed


def stream_pollers_for(template: LocalTemplate, invoker: Invoker, endpoint_url: str) -> list[StreamPoller]:
    return [
        StreamPoller(template, fn, trigger, invoker, endpoint_url)
        for fn in template.functions.values()
        for trigger in fn.stream_triggers
    ]
