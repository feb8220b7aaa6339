"""Lifecycle events (issue 19) without any server: the event a stream record carries, its payload,
the filter the publisher's event source mapping applies, and publishing in stream order."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from imageapi.adapters.dynamodb.items import event_attrs, image_item, purged_item
from imageapi.adapters.dynamodb.stream import FILTERS, change_of
from imageapi.domain.events import (
    MAX_EVENT_BYTES,
    EventType,
    ImageChange,
    ImageEvent,
    PurgeReason,
    image_event,
    publish_changes,
)
from imageapi.domain.models import Analysis, Dimensions, ImageRecord, ImageStatus, Rendition
from local.template import load_yaml

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _record(status: ImageStatus = ImageStatus.ready, title: str = "Harbour") -> ImageRecord:
    ready = status is ImageStatus.ready
    return ImageRecord(
        id="01JDQZ8Z6J8V0000000000ABCD",
        owner="alice",
        title=title,
        status=status,
        content_type="image/jpeg",
        declared_bytes=1000,
        sha256="ab" * 32 if ready else None,
        created_at=AT,
        updated_at=AT,
        original=Dimensions(width=4000, height=3000, bytes=900) if ready else None,
        renditions={
            n: Rendition(key=f"renditions/x/{n}", content_type="image/jpeg", width=256, height=192, bytes=10)
            for n in ("thumbnail", "compressed", "display")
        }
        if ready
        else {},
        analysis=Analysis(
            width=4000, height=3000, format="JPEG", mime="image/jpeg", mode="RGB", has_alpha=False,
            animated=False, frames=1, bytes=900, sha256="ab" * 32, md5="cd" * 16,
        )
        if ready
        else None,
    )  # fmt: skip


def _insert(item: dict[str, Any]) -> dict[str, Any]:
    return {"eventName": "INSERT", "dynamodb": {"NewImage": item, "SequenceNumber": "100"}}


def test_a_write_carrying_an_event_is_that_event_with_its_sequence() -> None:
    item = {**image_item(_record()), **event_attrs(EventType.ready, 2, AT)}
    change = change_of({"eventName": "MODIFY", "dynamodb": {"NewImage": item, "OldImage": {"seq": {"N": "1"}}}})
    assert change is not None
    event = image_event(change)
    assert (event.id, event.type, event.sequence, event.owner) == (
        "evt_01JDQZ8Z6J8V0000000000ABCD_2",
        "image.ready",
        2,
        "alice",
    )
    assert event.timestamp == AT
    body = json.loads(event.body())
    image = body["data"]["image"]
    # The image as GET /images/{id} shows it, with its links and no signed URL anywhere.
    assert image["links"]["self"] == "/images/01JDQZ8Z6J8V0000000000ABCD" and image["status"] == "ready"
    assert "renditions" not in image and "X-Amz-Signature" not in event.body() and "Signature=" not in event.body()
    assert ImageEvent.model_validate(body).body() == event.body()  # the delivery function reads it back as is


def test_the_same_record_is_the_same_event_every_time() -> None:
    item = {**image_item(_record()), **event_attrs(EventType.updated, 7, AT)}
    bodies = {image_event(change_of(_insert(item))).body() for _ in range(3)}  # type: ignore[arg-type]
    assert len(bodies) == 1


def test_writes_that_change_no_state_are_no_events() -> None:
    item = {**image_item(_record()), **event_attrs(EventType.ready, 2, AT)}
    same_seq = {"eventName": "MODIFY", "dynamodb": {"NewImage": item, "OldImage": dict(item)}}
    assert change_of(same_seq) is None
    no_event = dict(item)
    del no_event["ev"]  # claim_transform REMOVEs ev
    assert change_of({"eventName": "MODIFY", "dynamodb": {"NewImage": no_event, "OldImage": item}}) is None
    assert change_of({"eventName": "REMOVE", "dynamodb": {"OldImage": item}}) is None  # a user's move or purge
    quota = {"pk": {"S": "OWNER#alice"}, "sk": {"S": "QUOTA"}, "images": {"N": "1"}}
    assert change_of(_insert(quota)) is None


TTL = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def test_a_ttl_removal_of_the_trash_is_a_purge_one_sequence_later() -> None:
    trash = {
        **image_item(_record()),
        "sk": {"S": "TRASH#01JDQZ8Z6J8V0000000000ABCD"},
        "deleted_at": {"N": str(int(AT.timestamp() * 1000))},
        "expires_at": {"N": str(int((AT + timedelta(days=30)).timestamp()))},
        **event_attrs(EventType.deleted, 4, AT),
    }
    removed = {
        "eventName": "REMOVE",
        "userIdentity": TTL,
        "dynamodb": {"OldImage": trash, "ApproximateCreationDateTime": 1800000000},
    }
    change = change_of(removed)
    assert change is not None
    event = image_event(change)
    assert (event.type, event.sequence, event.id) == ("image.purged", 5, "evt_01JDQZ8Z6J8V0000000000ABCD_5")
    assert json.loads(event.body())["data"]["reason"] == PurgeReason.trash_window_ended.value
    # The inserted trash item itself is image.deleted, with purge_at.
    deleted = image_event(change_of(_insert(trash)))  # type: ignore[arg-type]
    assert deleted.type == "image.deleted" and json.loads(deleted.body())["data"]["image"]["purge_at"]


def test_a_ttl_removal_of_a_pending_upload_is_a_purge_and_of_a_purge_item_nothing() -> None:
    pending = {**image_item(_record(ImageStatus.pending), 1800000000), **event_attrs(EventType.created, 1, AT)}
    removed = {
        "eventName": "REMOVE",
        "userIdentity": TTL,
        "dynamodb": {"OldImage": pending, "ApproximateCreationDateTime": 1800000000},
    }
    change = change_of(removed)
    assert change is not None and change.purge_reason is PurgeReason.upload_never_arrived and change.sequence == 2
    outbox = purged_item(_record(), 3, AT, PurgeReason.deleted_permanently)
    assert image_event(change_of(_insert(outbox))).type == "image.purged"  # type: ignore[arg-type]
    assert change_of({"eventName": "REMOVE", "userIdentity": TTL, "dynamodb": {"OldImage": outbox}}) is None


def test_the_template_filters_are_the_publishers() -> None:
    """template.yaml's FilterCriteria (what Lambda applies) are exactly stream.FILTERS."""
    resources = load_yaml(ROOT / "template.yaml")["Resources"]
    props = resources["EventsPublisherFunction"]["Properties"]["Events"]["Changes"]["Properties"]
    assert [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]] == FILTERS


def test_an_event_stays_under_20_kb_with_the_longest_title() -> None:
    record = _record(title="Ω" * 200)  # 200 characters of 2 bytes each
    event = image_event(ImageChange(EventType.updated, record, 10**9, AT))
    assert len(event.body().encode()) < MAX_EVENT_BYTES
    assert len(event.body().encode()) < 4096  # far under it: no rendition URLs, no analysis


class Bus:
    """An event sink that refuses the put at ``refuse_at`` (counting from 0), like a bus throttling."""

    def __init__(self, refuse_at: int | None = None) -> None:
        self.refuse_at, self.sent = refuse_at, []

    def publish(self, events: list[ImageEvent]) -> int:
        for index, event in enumerate(events):
            if index == self.refuse_at:
                return index
            self.sent.append(event.id)
        return len(events)


@pytest.mark.parametrize("refuse_at", [None, 0, 2])
def test_publishing_answers_the_first_record_whose_event_did_not_go_out(refuse_at: int | None) -> None:
    changes: list[tuple[str, ImageChange | None]] = []
    for n in range(4):
        changes.append((f"seq-{n}a", None))  # a record that is no event (filtered defence)
        changes.append((f"seq-{n}", ImageChange(EventType.updated, _record(), n + 1, AT)))
    bus = Bus(refuse_at)
    failed = publish_changes(changes, bus)
    if refuse_at is None:
        assert failed is None and len(bus.sent) == 4
    else:
        assert failed == f"seq-{refuse_at}" and len(bus.sent) == refuse_at
