"""The local stand-ins of issue 19 on the real template's resources: the table's stream read as
Lambda's event source mapping reads it (order, record shape, filter criteria, partial failures,
retries), DynamoDB's TTL with its stream identity, a cancelled transaction leaving no stream
record, the bus routing to the delivery queue, and the webhook inbox."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from local import REPO_ROOT
from local.aws import LocalAwsServer, client, create_resources
from local.aws.ttl import reap
from local.edge.inbox import Inbox
from local.runtime.streams import StreamPoller
from local.server import BackgroundServer
from local.template import LocalTemplate, load


@pytest.fixture(scope="module")
def endpoint() -> Iterator[tuple[LocalAwsServer, LocalTemplate]]:
    server = LocalAwsServer(port=0)
    server.start()
    template = load(REPO_ROOT / "template.yaml", aws_url=server.url, name_prefix="local-streams")
    create_resources(server.url, template)
    yield server, template
    server.stop()


class Recorder:
    """Stands in for the function: records each batch; fails as told."""

    def __init__(self) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.fail: Callable[[list[dict[str, Any]]], Any] | None = None
        self._lock = threading.Lock()

    def invoke(self, fn: Any, event: dict[str, Any]) -> Any:
        with self._lock:
            self.batches.append(event["Records"])
        return self.fail(event["Records"]) if self.fail else {"batchItemFailures": []}

    def seen(self) -> list[str]:
        return [r["dynamodb"]["Keys"]["sk"]["S"] for batch in self.batches for r in batch]


def _wait(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
    return value


@pytest.fixture
def poller(endpoint: tuple[LocalAwsServer, LocalTemplate]) -> Iterator[tuple[StreamPoller, Recorder]]:
    server, template = endpoint
    fn = template.functions["EventsPublisherFunction"]
    recorder = Recorder()
    running = StreamPoller(template, fn, fn.stream_triggers[0], recorder, server.url)
    running.start()
    yield running, recorder
    running.stop()


def _put(server: LocalAwsServer, template: LocalTemplate, sk: str, **attrs: dict[str, str]) -> None:
    client("dynamodb", server.url).put_item(
        TableName=template.tables["ImagesTable"].name, Item={"pk": {"S": "OWNER#streams"}, "sk": {"S": sk}, **attrs}
    )


def test_state_changes_arrive_in_order_in_lambdas_shape_and_the_rest_is_filtered_out(
    endpoint: tuple[LocalAwsServer, LocalTemplate], poller: tuple[StreamPoller, Recorder]
) -> None:
    server, template = endpoint
    running, recorder = poller
    for n in range(5):
        _put(server, template, f"IMAGE#{n}", ev={"S": "image.created"}, seq={"N": "1"}, secret={"B": b"\x00\x01"})
        _put(server, template, f"RATE#{n}", hits={"N": "1"})  # no ev: no state change
    _wait(lambda: len(recorder.seen()) == 5)
    assert recorder.seen() == [f"IMAGE#{n}" for n in range(5)]
    record = recorder.batches[0][0]
    assert record["eventName"] == "INSERT" and record["eventSource"] == "aws:dynamodb"
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    assert record["eventSourceARN"] == running.stream_arn and "/stream/" in running.stream_arn
    assert record["dynamodb"]["NewImage"]["secret"] == {"B": "AAE="}  # binary as base64, as Lambda sends it
    assert "userIdentity" not in record


def test_a_partial_failure_retries_from_the_failed_record_and_an_error_retries_the_batch(
    endpoint: tuple[LocalAwsServer, LocalTemplate], poller: tuple[StreamPoller, Recorder]
) -> None:
    server, template = endpoint
    _, recorder = poller
    calls = {"n": 0}

    def flaky(batch: list[dict[str, Any]]) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:  # the first batch: records from the second one on failed
            return {"batchItemFailures": [{"itemIdentifier": batch[1]["dynamodb"]["SequenceNumber"]}]}
        if calls["n"] == 2:
            raise RuntimeError("the function died midway")
        return {"batchItemFailures": []}

    recorder.fail = flaky
    name = template.tables["ImagesTable"].name
    client("dynamodb", server.url).transact_write_items(  # three records at once: one batch
        TransactItems=[
            {
                "Put": {
                    "TableName": name,
                    "Item": {
                        "pk": {"S": "OWNER#streams"},
                        "sk": {"S": f"IMAGE#retry-{n}"},
                        "ev": {"S": "image.updated"},
                        "seq": {"N": str(n + 2)},
                    },
                }
            }
            for n in range(3)
        ]
    )

    def done() -> list[str]:  # the records of the invocations that succeeded, in order
        return [r["dynamodb"]["Keys"]["sk"]["S"] for batch in recorder.batches[2:] for r in batch]

    _wait(lambda: "IMAGE#retry-2" in done())
    first = [r["dynamodb"]["Keys"]["sk"]["S"] for r in recorder.batches[0]]
    assert first == ["IMAGE#retry-0", "IMAGE#retry-1", "IMAGE#retry-2"]
    # The retry started at the failed record; the failed invocation was split in halves (bisect),
    # and each record went through once; the one before the failure was never sent again.
    assert [r["dynamodb"]["Keys"]["sk"]["S"] for r in recorder.batches[1]] == ["IMAGE#retry-1", "IMAGE#retry-2"]
    assert done() == ["IMAGE#retry-1", "IMAGE#retry-2"]


def test_ttl_removes_expired_items_as_the_dynamodb_service(
    endpoint: tuple[LocalAwsServer, LocalTemplate], poller: tuple[StreamPoller, Recorder]
) -> None:
    server, template = endpoint
    _, recorder = poller
    table = template.tables["ImagesTable"]
    past, future = str(int(time.time()) - 5), str(int(time.time()) + 3600)
    _put(server, template, "TRASH#gone", ev={"S": "image.deleted"}, seq={"N": "4"}, expires_at={"N": past})
    _put(server, template, "TRASH#kept", ev={"S": "image.deleted"}, seq={"N": "4"}, expires_at={"N": future})
    _put(server, template, "PURGED#outbox", ev={"S": "image.purged"}, seq={"N": "5"}, expires_at={"N": past})
    _wait(lambda: {"TRASH#gone", "TRASH#kept", "PURGED#outbox"} <= set(recorder.seen()))
    assert reap([(table.name, "expires_at")], server.dynamodb.lock) == 2
    removal = _wait(lambda: [r for b in recorder.batches for r in b if r["eventName"] == "REMOVE"])
    assert [r["dynamodb"]["Keys"]["sk"]["S"] for r in removal] == ["TRASH#gone"]  # the purge item's own TTL: filtered
    assert removal[0]["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    ddb = client("dynamodb", server.url)
    left = ddb.query(
        TableName=table.name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "OWNER#streams"}},
    )["Items"]
    assert "TRASH#kept" in {i["sk"]["S"] for i in left} and "TRASH#gone" not in {i["sk"]["S"] for i in left}
    # A user's delete carries no identity: no event (the purge goes out through its outbox item).
    ddb.delete_item(TableName=table.name, Key={"pk": {"S": "OWNER#streams"}, "sk": {"S": "TRASH#kept"}})
    _put(server, template, "IMAGE#marker", ev={"S": "image.created"}, seq={"N": "1"})
    _wait(lambda: "IMAGE#marker" in recorder.seen())  # in stream order: the delete was read before it
    assert [r["dynamodb"]["Keys"]["sk"]["S"] for b in recorder.batches for r in b if r["eventName"] == "REMOVE"] == [
        "TRASH#gone"
    ]


@pytest.mark.parametrize(
    ("target", "serial"),
    [
        ("DynamoDB_20120810.PutItem", True),
        ("DynamoDBStreams_20120810.GetRecords", True),  # else it reads a TTL deletion before its mark
        ("AmazonSQS.ReceiveMessage", False),
    ],
)
def test_stream_reads_wait_for_the_dynamodb_lock_as_writes_and_the_ttl_reaper_do(target: str, serial: bool) -> None:
    from local.aws.endpoint import SerialDynamoDB

    held: list[bool] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        held.append(serialised.lock.locked())
        return [b"{}"]

    serialised = SerialDynamoDB(app)
    assert list(serialised({"HTTP_X_AMZ_TARGET": target}, lambda *a: None)) == [b"{}"]
    assert held == [serial]


def test_a_cancelled_transaction_leaves_no_stream_record(
    endpoint: tuple[LocalAwsServer, LocalTemplate], poller: tuple[StreamPoller, Recorder]
) -> None:
    server, template = endpoint
    _, recorder = poller
    ddb = client("dynamodb", server.url)
    name = template.tables["ImagesTable"].name
    item = {"pk": {"S": "OWNER#streams"}, "sk": {"S": "IMAGE#never"}, "ev": {"S": "image.restored"}, "seq": {"N": "2"}}
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": name, "Item": item}},
                {
                    "ConditionCheck": {
                        "TableName": name,
                        "Key": {"pk": {"S": "OWNER#streams"}, "sk": {"S": "QUOTA"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    _put(server, template, "IMAGE#after", ev={"S": "image.created"}, seq={"N": "1"})
    _wait(lambda: "IMAGE#after" in recorder.seen())
    assert "IMAGE#never" not in recorder.seen()


def test_the_bus_routes_every_event_to_the_delivery_queue(endpoint: tuple[LocalAwsServer, LocalTemplate]) -> None:
    server, template = endpoint
    events, sqs = client("events", server.url), client("sqs", server.url)
    detail = {"id": "evt_x_1", "type": "image.ready"}
    entry = {"Source": "serverless-image-api", "DetailType": "image.ready", "Detail": json.dumps(detail)}
    assert (
        events.put_events(Entries=[{**entry, "EventBusName": template.buses["EventBus"].name}])["FailedEntryCount"] == 0
    )
    got = sqs.receive_message(QueueUrl=template.queue_url("DeliveryQueue"), WaitTimeSeconds=1).get("Messages", [])
    assert [json.loads(m["Body"])["detail"] for m in got] == [detail]
    aliases = {a["AliasName"] for a in client("kms", server.url).list_aliases()["Aliases"]}
    assert template.keys["WebhookSecretsKey"].alias in aliases
    create_resources(server.url, template)  # idempotent: a second run changes nothing
    assert {a["AliasName"] for a in client("kms", server.url).list_aliases()["Aliases"]} == aliases


def test_the_inbox_records_deliveries_and_shows_them_escaped() -> None:
    inbox = Inbox()
    server = BackgroundServer(inbox, "127.0.0.1", 0, name="inbox-test")
    server.start()
    try:
        body = json.dumps({"type": "image.ready", "data": {"image": {"title": "<script>x</script>"}}})
        headers = {"webhook-id": "evt_1", "webhook-timestamp": "1", "webhook-signature": "v1,abc"}
        assert requests.post(f"{server.url}/app", data=body, headers=headers, timeout=10).status_code == 200
        listed = requests.get(f"{server.url}/messages", timeout=10).json()["items"]
        assert listed[0]["body"] == body and listed[0]["channel"] == "app"
        assert listed[0]["headers"]["webhook-signature"] == "v1,abc"
        page = requests.get(f"{server.url}/", timeout=10)
        assert "&lt;script&gt;" in page.text and "<script>x" not in page.text and "image.ready" in page.text
        assert requests.delete(f"{server.url}/messages", timeout=10).status_code == 204
        assert requests.get(f"{server.url}/messages", timeout=10).json()["items"] == []
    finally:
        server.stop()


def test_pollers_stop_before_they_start(endpoint: tuple[LocalAwsServer, LocalTemplate]) -> None:
    """A stop signal can reach `python -m local` while its start is still starting pollers: the
    stop of a poller never started returns at once (it used to raise "cannot join thread before
    it is started", and the stack exited 1)."""
    from local.runtime.poller import SqsPoller

    server, template = endpoint
    publisher = template.functions["EventsPublisherFunction"]
    ingest = template.functions["IngestFunction"]
    recorder = Recorder()
    pollers = [
        StreamPoller(template, publisher, publisher.stream_triggers[0], recorder, server.url),
        SqsPoller(template, ingest, ingest.sqs_triggers[0], recorder, server.url),
    ]
    for never_started in pollers:
        never_started.stop(timeout=0.1)
    assert recorder.batches == []
