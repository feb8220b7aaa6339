"""Lifecycle events lose nothing and invent nothing (issue 19), through faults, on the whole local
stack: the table's stream read as Lambda reads it, the publisher, the bus, the delivery queue, the
delivery function, a receiver on 127.0.0.1.

A 200-image run (uploads, rejects, renames, deletes into the trash, restores, permanent deletes,
trash windows running out under DynamoDB's TTL) while:
- the publisher dies midway through a batch, after some of its events went out;
- the bus refuses a put (a bus that does not exist answers the real PutEvents error);
- the delivery function dies after the POST, before it records the attempt.
Every state change reaches the receiver under one webhook-id, every signature verifies, no image's
sequence has a gap, and a receiver that dedupes by webhook-id sees each change exactly once.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness.http import Client
from tests.harness.images import jpeg
from tests.harness.receiver import Receiver
from tests.harness.stack import local_stack

IMAGES = 200
TRASH_SECONDS = 20  # the trash window, so some purges are the TTL's
NO_LIMITS = {
    "RateLimitUrlImports": "0",
    "RateLimitDirectUploads": "0",
    "RateLimitTransforms": "0",
    "RateLimitPredictions": "0",
    "RateLimitWebhooks": "0",
    "TrashRetentionDays": str(TRASH_SECONDS / 86_400),
}


class Crash(RuntimeError):
    """An injected fault: the function dies here."""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with local_stack(
        tmp_path_factory.mktemp("rel-events"), "rel-events", overrides=NO_LIMITS, IMPORT_ALLOW_PRIVATE_NETWORKS="true"
    ) as running:
        yield running


class Faults:
    """Wraps the real publisher and delivery log the stack's functions use (in-process)."""

    def __init__(self) -> None:
        from imageapi.context_events import dispatcher, event_publisher

        self.publisher = event_publisher()
        self.deliveries = dispatcher().deliveries
        self.publish_calls = self.record_calls = 0
        self.died_publishing = self.refused = self.died_delivering = 0
        self._lock = threading.Lock()
        real_publish, real_record = self.publisher.publish, self.deliveries.record
        bus = self.publisher._bus

        def publish(events: list[Any]) -> int:
            with self._lock:
                self.publish_calls += 1
                call = self.publish_calls
            if call in (3, 11, 19) and events:  # dies midway: the first half went out
                real_publish(events[: max(1, len(events) // 2)])
                self.died_publishing += 1
                raise Crash("the publisher died midway through its batch")
            if call in (6, 15):  # the bus refuses the put (PutEvents on a bus that is not there)
                self.publisher._bus = "no-such-bus"
                try:
                    sent = real_publish(events)
                finally:
                    self.publisher._bus = bus
                self.refused += 1
                assert sent == 0
                return sent
            return real_publish(events)

        def record(delivery: Any, attempt: Any, **kwargs: Any) -> bool:
            with self._lock:
                self.record_calls += 1
                call = self.record_calls
            if attempt is not None and call in (7, 40, 90, 150):  # after the POST, before the record
                self.died_delivering += 1
                raise Crash("the delivery function died after the POST")
            return real_record(delivery, attempt, **kwargs)

        self.publisher.publish = publish  # type: ignore[method-assign]
        self.deliveries.record = record  # type: ignore[method-assign]


def _plan(index: int) -> list[str]:
    """What happens to image ``index`` after its upload, by its index."""
    plans = {
        1: ["rename"],
        2: ["rename"],
        3: ["delete", "restore"],
        4: ["delete", "purge"],
        5: ["purge"],
        6: ["delete"],  # the trash window runs out: purged by TTL
        7: ["rename", "delete", "restore", "rename"],
    }
    return plans.get(index % 10, [])


STEP_EVENTS = {
    "rename": "image.updated",
    "delete": "image.deleted",
    "restore": "image.restored",
    "purge": "image.purged",
}


def _step(client: Client, image_id: str, step: str) -> Any:
    path = f"/images/{image_id}"
    if step == "rename":
        return client.request("PATCH", path, json={"title": f"r{time.monotonic_ns() % 1000}"})  # few trigrams
    if step == "delete":
        return client.request("DELETE", path)
    if step == "restore":
        return client.request("POST", f"{path}/restore")
    return client.request("DELETE", path, params={"permanent": "true"})


def _missing(client: Client, webhook_id: str, receiver: Receiver, expected: dict[str, list[str]]) -> str:
    """What has not arrived, and where the delivery log says each undelivered event stands."""
    got: dict[str, list[str]] = defaultdict(list)
    for received in list(receiver.received):
        event = json.loads(received.body)
        got[event["data"]["image"]["id"]].append(event["type"])
    short = {i: (e, sorted(set(got[i]))) for i, e in expected.items() if not set(e) <= set(got[i])}
    unfinished, cursor = [], None
    for _ in range(50):
        page = client.request(
            "GET", f"/webhooks/{webhook_id}/deliveries", params={"limit": 100, **({"cursor": cursor} if cursor else {})}
        ).json()
        unfinished += [d for d in page["items"] if d["status"] != "succeeded"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    received = len({r.webhook_id for r in receiver.received})
    total = sum(map(len, expected.values()))
    return f"{received} of {total} events; short: {short}; unfinished deliveries: {unfinished}"


@pytest.mark.timeout(900)  # a heavy scenario: minutes on a busy 2-core machine
def test_two_hundred_images_of_changes_arrive_exactly_once_through_faults(stack: Any) -> None:
    client = Client(stack.api_url, stack.token("rel-events"))
    with Receiver() as receiver:
        created = client.request(
            "POST",
            "/webhooks",
            json={
                "url": receiver.url(),
                "events": [*STEP_EVENTS.values(), "image.created", "image.ready", "image.rejected"],
            },
        )
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        faults = Faults()
        expected: dict[str, list[str]] = {}
        good, broken = jpeg(64, 48), jpeg(64, 48)[:300]  # a truncated JPEG: ingest rejects it
        # One request at a time: the local gateway runs a function's handler in-process, and the
        # resolver of one function serves one request at a time, as in one Lambda container.
        uploaded: dict[int, str] = {}
        for index in range(IMAGES):
            answer = client.request(
                "POST", "/images", params={"title": f"photo {index:03d}"},
                data=broken if index % 10 == 0 else good, headers={"Content-Type": "image/jpeg"},
            )  # fmt: skip
            assert answer.status_code == 201, answer.text
            uploaded[index] = answer.json()["id"]
        for index, image_id in uploaded.items():
            rejected = index % 10 == 0
            image = client.wait_for(image_id)
            assert image["status"] == ("rejected" if rejected else "ready"), image
            events = ["image.created", "image.rejected" if rejected else "image.ready"]
            steps = ["purge"] if rejected and index % 20 == 0 else ([] if rejected else _plan(index))
            for step in steps:
                reply = _step(client, image_id, step)
                assert reply.status_code in (200, 204), (step, reply.text)
                events.append(STEP_EVENTS[step])
            if steps and steps[-1] == "delete":
                events.append("image.purged")  # by the TTL, once the trash window ends
            expected[image_id] = events
        total = sum(len(e) for e in expected.values())

        # A lost event never arrives: the failure names what is missing and where each unfinished
        # delivery stands (a TTL purge read from the stream before its mark was one such loss).
        deadline = time.monotonic() + 240
        while len({r.webhook_id for r in receiver.received}) < total:
            assert time.monotonic() < deadline, _missing(client, created.json()["id"], receiver, expected)
            time.sleep(0.25)

    # Every fault was injected, and nothing was lost or invented.
    assert faults.died_publishing == 3 and faults.refused == 2 and faults.died_delivering == 4
    seen: dict[str, dict[str, Any]] = {}
    for received in receiver.received:  # a receiver that dedupes by webhook-id
        event = receiver.verify(received, secret)
        assert event["id"] == received.webhook_id
        if received.webhook_id in seen:
            assert seen[received.webhook_id] == event, "a repeated webhook-id carries the same event"
            continue
        seen[received.webhook_id] = event
    assert len(seen) == total
    by_image: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in seen.values():
        by_image[event["data"]["image"]["id"]].append(event)
    assert set(by_image) == set(expected)
    for image_id, events in by_image.items():
        ordered = sorted(events, key=lambda e: e["sequence"])
        assert [e["sequence"] for e in ordered] == list(range(1, len(ordered) + 1)), image_id  # no gap
        assert [e["type"] for e in ordered] == expected[image_id], image_id
        assert all(e["id"] == f"evt_{image_id}_{e['sequence']}" for e in ordered)
    duplicates = len(receiver.received) - len(seen)
    assert duplicates >= faults.died_delivering  # each death after a POST sent that POST again
