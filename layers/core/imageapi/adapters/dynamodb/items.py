"""Item shapes of the one table (see docs/architecture.md): attribute values, keys, and the
image item. Every module of this adapter builds its keys here."""

from datetime import datetime
from typing import Any

from imageapi.domain.events import EventType, PurgeReason
from imageapi.domain.models import ImageRecord, ImageStatus
from imageapi.domain.search import normalise

STATUS_INDEX = "gsi1"
# The count item sorts before every image id ("#" < "0"), outside the ids a search reads.
GRAM_COUNT_SK = "#count"
BATCH_WRITE = 25
BATCH_GET = 100


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def owner_pk(owner: str) -> str:
    return f"OWNER#{owner}"


def image_sk(image_id: str) -> str:
    return f"IMAGE#{image_id}"


def status_pk(owner: str, status: ImageStatus) -> str:
    return f"OWNER#{owner}#STATUS#{status.value}"


def gram_pk(owner: str, gram: str) -> str:
    return f"OWNER#{owner}#GRAM#{gram}"


def gram_count_key(owner: str, gram: str) -> dict[str, Any]:
    """The count item in a trigram's partition (how many titles have the trigram)."""
    return {"pk": _s(gram_pk(owner, gram)), "sk": _s(GRAM_COUNT_SK)}


def image_key(owner: str, image_id: str) -> dict[str, Any]:
    return {"pk": _s(owner_pk(owner)), "sk": _s(image_sk(image_id))}


def quota_key(owner: str) -> dict[str, Any]:
    return {"pk": _s(owner_pk(owner)), "sk": _s("QUOTA")}


def sha256_key(owner: str, sha256: str) -> dict[str, Any]:
    return {"pk": _s(owner_pk(owner)), "sk": _s(f"SHA256#{sha256}")}


def image_item(record: ImageRecord, expires_at: int | None = None) -> dict[str, Any]:
    item = {
        **image_key(record.owner, record.id),
        "gsi1pk": _s(status_pk(record.owner, record.status)),
        "gsi1sk": _s(record.id),
        "status": _s(record.status.value),
        "title_lower": _s(normalise(record.title)),
        "doc": _s(record.model_dump_json()),
    }
    if expires_at is not None:
        item["expires_at"] = _n(expires_at)
    return item


def record_of(item: dict[str, Any]) -> ImageRecord:
    return ImageRecord.model_validate_json(item["doc"]["S"])


def gram_item(owner: str, image_id: str, title: str, gram: str) -> dict[str, Any]:
    """One entry of the title index: the image id under one trigram, with the title to filter on."""
    return {"pk": _s(gram_pk(owner, gram)), "sk": _s(image_id), "title": _s(normalise(title))}


def cancellation_reasons(error: Any) -> list[str | None]:
    """The per-item codes of a cancelled transaction, in the order of its items."""
    return [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]


# ---------------------------------------------------------------- the outbox (domain/events)
# Every state change sets these on the item it changes, in the same conditional write: the event
# type, its time (epoch ms) and the image's sequence number (+1). The stream carries them to the
# publisher (adapters/dynamodb/stream.py); writes that are no state change REMOVE ``ev``.
EVENT_ATTR, EVENT_AT_ATTR, SEQ_ATTR = "ev", "ev_at", "seq"
PURGED_TTL_SECONDS = 86_400  # a purge's outbox item outlives the stream's 24 h retention, then goes


def epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def event_attrs(event: EventType, sequence: int, at: datetime) -> dict[str, Any]:
    return {EVENT_ATTR: _s(event.value), EVENT_AT_ATTR: _n(epoch_ms(at)), SEQ_ATTR: _n(sequence)}


def sequence_of(item: dict[str, Any]) -> int:
    """The item's sequence number (0 for an item written before events existed)."""
    return int(item[SEQ_ATTR]["N"]) if SEQ_ATTR in item else 0


def same_sequence(item: dict[str, Any]) -> tuple[str, Any]:
    """A condition that holds only while the item is still at the sequence number it was read with,
    and the request parameters its values need (none for an item written before events existed)."""
    if SEQ_ATTR in item:
        return "seq = :seq", {"ExpressionAttributeValues": {":seq": item[SEQ_ATTR]}}
    return "attribute_not_exists(seq)", {}


def purged_item(record: ImageRecord, sequence: int, at: datetime, reason: PurgeReason) -> dict[str, Any]:
    """The outbox item of a purge by the owner (the record is gone, so it cannot carry the event)."""
    return {
        "pk": _s(owner_pk(record.owner)),
        "sk": _s(f"PURGED#{record.id}"),
        "doc": _s(record.model_dump_json()),
        "purge_reason": _s(reason.value),
        "expires_at": _n(int(at.timestamp()) + PURGED_TTL_SECONDS),
        **event_attrs(EventType.purged, sequence, at),
    }
