"""Redelivery and dead-lettering through the real queue (SPEC §4; issue 6 item 4): the local SQS
poller feeds ingest as Lambda's event source mapping does, and the queue's redrive policy moves a
message that keeps failing to the dead-letter queue (template: maxReceiveCount)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.reliability.conftest import s3_event_body
from tests.e2e.reliability.stackutil import StackState
from tests.harness.http import Client
from tests.harness.images import jpeg
from tests.harness.stack import local_stack


@pytest.fixture(scope="module")
def queue_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with local_stack(tmp_path_factory.mktemp("rel-queue"), "rel-queue") as running:
        yield running


@pytest.fixture(scope="module")
def state(queue_stack: Any) -> StackState:
    return StackState(queue_stack)


def _upload(stack: Any, state: StackState, owner: str, data: bytes) -> tuple[Client, str, str]:
    from imageapi.domain import keys

    client = Client(stack.api_url, stack.token(owner))
    created = client.request(
        "POST", "/images", json={"title": "q", "content_type": "image/jpeg", "size": len(data) + 10}
    )
    assert created.status_code == 201
    image_id = created.json()["image"]["id"]
    key = keys.incoming_key(owner, image_id)
    state.s3.put_object(Bucket=state.bucket, Key=key, Body=data)  # notifies the queue once
    return client, image_id, key


def test_the_same_s3_event_queued_ten_times_has_one_effect(queue_stack: Any, state: StackState) -> None:
    owner, data = "rel-q-tenfold", jpeg(400, 300)
    queue = state.queue_url(dead_letter=False)
    client, image_id, key = _upload(queue_stack, state, owner, data)
    body = s3_event_body(state.bucket, key)
    state.sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": str(i), "MessageBody": body} for i in range(9)])
    state.wait(lambda: client.request("GET", f"/images/{image_id}").json()["status"] != "pending", what="ingest")
    state.wait(lambda: state.depth(queue) == 0, what="the queue to drain")
    image = client.request("GET", f"/images/{image_id}").json()
    assert image["status"] == "ready" and image["original"]["bytes"] == len(data)
    objects = state.image_keys(owner, image_id)
    assert objects["incoming"] == [] and len(objects["originals"]) == 1 and len(objects["renditions"]) in (2, 3)
    assert len(state.images(owner)) == 1
    assert state.quota(owner) == (1, len(data))
    assert state.depth(state.queue_url(dead_letter=True)) == 0


def test_poison_messages_reach_the_dead_letter_queue_and_their_batch_succeeds(
    queue_stack: Any, state: StackState
) -> None:
    queue, dlq = state.queue_url(dead_letter=False), state.queue_url(dead_letter=True)
    state.wait(lambda: state.depth(queue) == 0, what="an empty queue")
    first = _upload(queue_stack, state, "rel-q-good-1", jpeg(64, 64))
    second = _upload(queue_stack, state, "rel-q-good-2", jpeg(32, 90))
    poison = ["this is not JSON", json.dumps({"Records": [{"s3": {}}]})]
    # One batch: the good events again (redeliveries) with the poison in between.
    state.sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": "good1", "MessageBody": s3_event_body(state.bucket, first[2])},
            {"Id": "poison1", "MessageBody": poison[0]},
            {"Id": "good2", "MessageBody": s3_event_body(state.bucket, second[2])},
            {"Id": "poison2", "MessageBody": poison[1]},
        ],
    )
    for client, image_id, _ in (first, second):
        state.wait(
            lambda c=client, i=image_id: c.request("GET", f"/images/{i}").json()["status"] == "ready", what="ready"
        )
    redrive = next(q for q in queue_stack.template.queues.values() if q.dlq_id)
    # Each poison message is received maxReceiveCount times (visibility timeout 2 s locally), then moved.
    state.wait(lambda: state.depth(dlq) == 2, timeout=30 + 4 * redrive.max_receive_count, what="the DLQ")
    state.wait(lambda: state.depth(queue) == 0, what="the queue to drain")
    bodies = []
    while len(bodies) < 2:
        got = state.sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"])
        for message in got.get("Messages", []):
            bodies.append(message["Body"])
            assert int(message["Attributes"]["ApproximateReceiveCount"]) >= redrive.max_receive_count
    assert sorted(bodies) == sorted(poison)
    for owner in ("rel-q-good-1", "rel-q-good-2"):
        assert len(state.images(owner)) == 1 and state.quota(owner)[0] == 1
