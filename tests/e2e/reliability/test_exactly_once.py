"""Exactly-once effects of ingest (SPEC §4; issue 6 item 4), on a local stack whose SQS pollers
are off, so each test decides who delivers what and when.

- The same S3 event delivered ten times, by ten "containers" at once and again afterwards:
  one record, one set of renditions, one original, quota counted once.
- A failure injected at each boundary of our own code between "object written" and "record
  updated" (a wrapper around the real S3 store / DynamoDB repository that raises once): the
  failed delivery is reported as a batch item failure, and the retry completes the image.
- One poison message in a batch fails alone; its neighbours succeed.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.reliability.conftest import FakeContext, ingest_container, s3_event_body, sqs_event
from tests.e2e.reliability.stackutil import StackState
from tests.harness.http import Client
from tests.harness.images import jpeg, png
from tests.harness.stack import local_stack


@pytest.fixture(scope="module")
def quiet_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with local_stack(tmp_path_factory.mktemp("rel-quiet"), "rel-quiet", pollers=False) as running:
        yield running


@pytest.fixture(scope="module")
def state(quiet_stack: Any) -> StackState:
    return StackState(quiet_stack)


def _pending_with_bytes(stack: Any, state: StackState, owner: str, data: bytes) -> tuple[str, str]:
    """A presigned create (declaring more bytes than it will send) and the bytes in incoming/."""
    from imageapi.domain import keys

    client = Client(stack.api_url, stack.token(owner))
    created = client.request(
        "POST", "/images", json={"title": f"{owner} image", "content_type": "image/jpeg", "size": len(data) + 500}
    )
    assert created.status_code == 201, created.text
    image_id = created.json()["image"]["id"]
    key = keys.incoming_key(owner, image_id)
    state.s3.put_object(Bucket=state.bucket, Key=key, Body=data)
    return image_id, key


def _assert_exactly_once(stack: Any, state: StackState, owner: str, image_id: str, data: bytes) -> dict[str, Any]:
    client = Client(stack.api_url, stack.token(owner))
    image = client.request("GET", f"/images/{image_id}").json()
    assert image["status"] == "ready", image
    assert image["original"]["bytes"] == len(data)
    objects = state.image_keys(owner, image_id)
    assert objects["incoming"] == []
    assert len(objects["originals"]) == 1
    names = sorted(k.rsplit("/", 1)[1] for k in objects["renditions"])
    assert names in (["compressed", "thumbnail"], ["compressed", "display", "thumbnail"]), names
    assert state.s3.get_object(Bucket=state.bucket, Key=objects["originals"][0])["Body"].read() == data
    assert len(state.images(owner)) == 1
    assert state.quota(owner) == (1, len(data)), "quota counted once, corrected to the real size once"
    markers = [i for i in state.owner_items(owner) if i["sk"]["S"].startswith("SHA256#")]
    assert len(markers) == 1
    return image


def test_the_same_event_ten_times_at_once_has_one_effect(quiet_stack: Any, state: StackState) -> None:
    owner, data = "rel-tenfold", jpeg(300, 200)
    image_id, key = _pending_with_bytes(quiet_stack, state, owner, data)
    event = sqs_event(s3_event_body(state.bucket, key))
    containers = [ingest_container() for _ in range(10)]
    start = threading.Barrier(10)

    def deliver(container: Any) -> dict[str, Any]:
        start.wait()
        return container.handler(copy.deepcopy(event), FakeContext())

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(deliver, containers))
    assert all(r == {"batchItemFailures": []} for r in results), results
    first = _assert_exactly_once(quiet_stack, state, owner, image_id, data)
    rendition_etags = {k: state.s3.head_object(Bucket=state.bucket, Key=k)["ETag"] for k in state.keys("renditions/")}

    # Ten more, one after another, after success: nothing changes.
    for container in containers:
        assert container.handler(copy.deepcopy(event), FakeContext()) == {"batchItemFailures": []}
    again = _assert_exactly_once(quiet_stack, state, owner, image_id, data)
    assert again["updated_at"] == first["updated_at"]
    assert {
        k: state.s3.head_object(Bucket=state.bucket, Key=k)["ETag"] for k in state.keys("renditions/")
    } == rendition_etags


def failed_ids(container: Any, event: dict[str, Any]) -> set[str]:
    """The messages SQS keeps after this delivery: the reported item failures, or all of them
    when the invocation fails as a whole (Powertools raises when every record failed)."""
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    try:
        result = container.handler(copy.deepcopy(event), FakeContext())
    except BatchProcessingError:
        return {r["messageId"] for r in event["Records"]}
    return {item["itemIdentifier"] for item in result["batchItemFailures"]}


class InjectedFault(RuntimeError):
    pass


class FailOnce:
    """Wraps the real store or repository; ``method`` raises once, before or after doing its work."""

    def __init__(self, inner: Any, method: str, after: bool) -> None:
        self._inner, self._method, self._after, self.fired = inner, method, after, False

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._inner, name)
        if name != self._method:
            return real

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if self.fired:
                return real(*args, **kwargs)
            self.fired = True
            if not self._after:
                raise InjectedFault(f"{name} failed before doing anything")
            real(*args, **kwargs)
            raise InjectedFault(f"{name} did its work, then the process died")

        return wrapped


# (component, method, after): each a point between "object written" and "record updated" (or
# just after it), in the order ingest reaches them.
FAULTS = [
    ("store", "put", True),  # the first rendition written, then a crash
    ("store", "copy", False),  # every rendition written, the original not yet
    ("store", "copy", True),  # renditions and original written, record untouched
    ("repository", "complete", False),  # same, at the repository call itself
    ("repository", "complete", True),  # record ready and quota corrected, incoming not yet deleted
    ("store", "delete", False),  # the final cleanup fails
]


@pytest.mark.parametrize(
    ("component", "method", "after"), FAULTS, ids=[f"{c}.{m}-{'after' if a else 'before'}" for c, m, a in FAULTS]
)
def test_a_failure_midway_is_completed_by_the_retry(
    quiet_stack: Any, state: StackState, component: str, method: str, after: bool
) -> None:
    from imageapi.context import ingestor

    owner = f"rel-fault-{component}-{method}-{int(after)}"
    data = png(200, 150)
    image_id, key = _pending_with_bytes(quiet_stack, state, owner, data)
    event = sqs_event(s3_event_body(state.bucket, key))

    real = ingestor()
    store, repository = real.store, real.repository
    faulty = FailOnce(store if component == "store" else repository, method, after)
    crashing = ingest_container()
    crashing.ingestor = lambda: dataclasses.replace(
        real,
        repository=faulty if component == "repository" else repository,
        store=faulty if component == "store" else store,
    )
    assert failed_ids(crashing, event) == {"m-0"}, "the failure must go back to SQS"
    assert faulty.fired
    if (component, method, after) not in (("repository", "complete", True), ("store", "delete", False)):
        # The crash hit between "object written" and "record updated".
        image = Client(quiet_stack.api_url, quiet_stack.token(owner)).request("GET", f"/images/{image_id}").json()
        assert image["status"] == "pending"
        assert state.image_keys(owner, image_id)["incoming"] == [key]
    else:  # the record moved on; only the cleanup is left for the retry
        assert state.image_keys(owner, image_id)["incoming"] == [key]

    retry = ingest_container()  # a fresh container, as SQS would redeliver to
    assert failed_ids(retry, event) == set()
    _assert_exactly_once(quiet_stack, state, owner, image_id, data)


def test_a_poison_message_fails_alone_in_its_batch(quiet_stack: Any, state: StackState) -> None:
    first_id, first_key = _pending_with_bytes(quiet_stack, state, "rel-batch-1", jpeg(64, 64))
    second_id, second_key = _pending_with_bytes(quiet_stack, state, "rel-batch-2", jpeg(80, 40))
    hostile_id, hostile_key = _pending_with_bytes(quiet_stack, state, "rel-batch-3", b"<svg onload=alert(1)>")
    event = sqs_event(
        s3_event_body(state.bucket, first_key),
        "this is not JSON",
        s3_event_body(state.bucket, hostile_key),
        '{"Records": [{"s3": {}}]}',
        s3_event_body(state.bucket, second_key),
    )
    result = ingest_container().handler(event, FakeContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-3"}]}, result
    for owner, image_id, status in (
        ("rel-batch-1", first_id, "ready"),
        ("rel-batch-2", second_id, "ready"),
        ("rel-batch-3", hostile_id, "rejected"),  # a bad image is an outcome, not a failure
    ):
        image = Client(quiet_stack.api_url, quiet_stack.token(owner)).request("GET", f"/images/{image_id}").json()
        assert image["status"] == status, image
