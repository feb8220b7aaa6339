"""Lifecycle events (SPEC §3.11, issue 19): one event per state change an app cares about.

The table is the outbox. Every state change writes, in the same conditional write, the event's
type (``ev``), its time and the image's next sequence number (``seq``) on the item it changes; the
DynamoDB stream carries that item to the publisher, which turns it into the event below without
reading anything else. A purge by DynamoDB's TTL is recognised by the stream record's
``userIdentity`` (the DynamoDB service); its sequence number is the removed item's plus one.

The event id is derived from the image id and the sequence number, so a retried publish (a
publisher that died midway, a put the bus refused) sends the same event under the same id, and a
receiver that dedupes by id sees each change exactly once.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, Field

from imageapi.domain.models import ImageOut, ImageRecord, ImageStatus

SOURCE = "serverless-image-api"  # EventBridge `source`
MAX_EVENT_BYTES = 20 * 1024  # the payload limit promised to receivers (issue 19)
TEST_EVENT = "webhook.test"


class EventType(StrEnum):
    created = "image.created"  # pending, with its upload form issued
    ready = "image.ready"
    rejected = "image.rejected"  # with the reason (image.rejection_reason)
    updated = "image.updated"  # title changed, display size re-rendered
    deleted = "image.deleted"  # moved to the trash, with purge_at
    restored = "image.restored"
    purged = "image.purged"  # deleted permanently, or the trash window ran out


class PurgeReason(StrEnum):
    deleted_permanently = "deleted-permanently"
    trash_window_ended = "trash-window-ended"
    upload_never_arrived = "upload-never-arrived"  # a pending record's TTL


@dataclass(frozen=True)
class ImageChange:
    """One committed state change, as the stream delivered it (adapters/dynamodb/stream.py)."""

    type: EventType
    record: ImageRecord  # the image after the change (for a purge: as it was last)
    sequence: int
    at: datetime
    deleted_at: datetime | None = None  # in the trash: when it was deleted
    purge_at: datetime | None = None  # in the trash: when it is purged unless restored
    purge_reason: PurgeReason | None = None


class EventData(BaseModel):
    image: ImageOut = Field(description="the image as GET /images/{id} shows it, without signed URLs")
    reason: PurgeReason | None = Field(None, description="image.purged only: why it is gone")


class ImageEvent(BaseModel):
    """The payload of every delivery (webhook body, EventBridge `detail`)."""

    id: str = Field(description="the same on every delivery of this event (webhook-id)")
    type: str = Field(description="image.created|ready|rejected|updated|deleted|restored|purged, or webhook.test")
    timestamp: datetime = Field(description="when the change committed")
    owner: str = Field(description="the owner (JWT sub) of the image")
    sequence: int = Field(
        ge=0, description="per image, +1 with every change: a receiver drops an event older than one it has"
    )
    data: EventData | dict[str, str]

    def body(self) -> str:
        """The exact bytes a receiver gets (and signatures cover): compact JSON, the image without
        its ``renditions`` (signed URLs never travel in events; ``links`` do)."""
        return self.model_dump_json(exclude={"data": {"image": {"renditions"}}})


def event_id(image_id: str, sequence: int) -> str:
    """Deterministic: the same change always has the same id, whoever publishes it and how often."""
    return f"evt_{image_id}_{sequence}"


def _shown(change: ImageChange) -> ImageOut:
    if change.deleted_at is not None and change.purge_at is not None:
        trashed = ImageOut.of(change.record.model_copy(update={"status": ImageStatus.deleted}))
        return trashed.model_copy(update={"deleted_at": change.deleted_at, "purge_at": change.purge_at})
    return ImageOut.of(change.record)  # links, never embedded rendition URLs


def image_event(change: ImageChange) -> ImageEvent:
    return ImageEvent(
        id=event_id(change.record.id, change.sequence),
        type=change.type.value,
        timestamp=change.at.astimezone(UTC),
        owner=change.record.owner,
        sequence=change.sequence,
        data=EventData(image=_shown(change), reason=change.purge_reason),
    )


def webhook_test_event(event_id_: str, owner: str, at: datetime) -> ImageEvent:
    """``POST /webhooks/{id}/test``: a ``webhook.test`` event for one endpoint."""
    return ImageEvent(
        id=event_id_,
        type=TEST_EVENT,
        timestamp=at.astimezone(UTC),
        owner=owner,
        sequence=0,
        data={"message": "a test event from the Serverless Image API"},
    )


class EventSink(Protocol):
    """Where events are published (adapters/eventbridge)."""

    def publish(self, events: list[ImageEvent]) -> int:
        """Publish in order; answer how many went out before the first that did not."""
        ...


def publish_changes(changes: list[tuple[str, ImageChange | None]], sink: EventSink) -> str | None:
    """Publish the events of a batch of stream records, in stream order. Answer the identifier
    (stream sequence number) of the first record whose event did not go out, from which the event
    source mapping retries the batch; None when every event went out."""
    pending = [(identifier, image_event(change)) for identifier, change in changes if change is not None]
    published = sink.publish([event for _, event in pending])
    return pending[published][0] if published < len(pending) else None
