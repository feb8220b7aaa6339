"""The table as the outbox (domain/events): DynamoDB stream records, as Lambda's event source
mapping hands them to the publisher, read back into committed state changes.

- INSERT or MODIFY of an item carrying ``ev``: the change that write made (``seq`` and ``ev_at``
  are on the item). A MODIFY that left ``seq`` where it was is no state change.
- REMOVE made by DynamoDB's TTL (``userIdentity``: type ``Service``, principal
  ``dynamodb.amazonaws.com``) of an item carrying an event other than a purge: the trash window
  ran out (``TRASH#``), or a pending upload never arrived (``IMAGE#``). Its sequence number is the
  removed item's plus one, its time the stream record's.
- Anything else (a REMOVE by a user, which moved the record or wrote a purge outbox item in the
  same transaction; counters, index items, webhooks) is no event.

``FILTERS`` are the same rules as Lambda filter patterns (template.yaml's ``FilterCriteria``), so
Lambda drops the rest before invoking the publisher; ``change_of`` applies them again, exactly.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from imageapi.adapters.dynamodb.items import EVENT_AT_ATTR, EVENT_ATTR, SEQ_ATTR, record_of
from imageapi.domain.events import EventType, ImageChange, PurgeReason

TTL_PRINCIPAL = "dynamodb.amazonaws.com"
FILTERS = [
    {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {EVENT_ATTR: {"S": [{"exists": True}]}}}},
    {
        "eventName": ["REMOVE"],
        "userIdentity": {"type": ["Service"], "principalId": [TTL_PRINCIPAL]},
        "dynamodb": {"OldImage": {EVENT_ATTR: {"S": [{"anything-but": [EventType.purged.value]}]}}},
    },
]


def filter_criteria() -> dict[str, Any]:
    """``FilterCriteria`` of the publisher's event source mapping (template.yaml carries this)."""
    return {"Filters": [{"Pattern": json.dumps(pattern, separators=(",", ":"))} for pattern in FILTERS]}


def _ms(value: dict[str, str]) -> datetime:
    return datetime.fromtimestamp(int(value["N"]) / 1000, UTC)


def _seq(image: dict[str, Any]) -> int:
    return int(image[SEQ_ATTR]["N"]) if SEQ_ATTR in image else 0


def is_ttl_removal(record: dict[str, Any]) -> bool:
    identity = record.get("userIdentity") or {}
    return identity.get("type") == "Service" and identity.get("principalId") == TTL_PRINCIPAL


def change_of(record: dict[str, Any]) -> ImageChange | None:
    """The state change a stream record carries, or None when it carries none."""
    name = record.get("eventName")
    stream = record.get("dynamodb") or {}
    new, old = stream.get("NewImage") or {}, stream.get("OldImage") or {}
    if name in ("INSERT", "MODIFY") and EVENT_ATTR in new:
        if name == "MODIFY" and _seq(old) == _seq(new):
            return None
        return _change(EventType(new[EVENT_ATTR]["S"]), new, _seq(new), _ms(new[EVENT_AT_ATTR]))
    if name == "REMOVE" and is_ttl_removal(record) and EVENT_ATTR in old:
        if old[EVENT_ATTR]["S"] == EventType.purged.value:
            return None  # the outbox item of a purge, gone by its own TTL
        at = datetime.fromtimestamp(float(stream["ApproximateCreationDateTime"]), UTC)
        trashed = old["sk"]["S"].startswith("TRASH#")
        reason = PurgeReason.trash_window_ended if trashed else PurgeReason.upload_never_arrived
        return ImageChange(EventType.purged, record_of(old), _seq(old) + 1, at, purge_reason=reason)
    return None


def _change(event: EventType, image: dict[str, Any], sequence: int, at: datetime) -> ImageChange:
    record = record_of(image)
    if event is EventType.deleted:
        return ImageChange(
            event,
            record,
            sequence,
            at,
            deleted_at=_ms(image["deleted_at"]),
            purge_at=datetime.fromtimestamp(int(image["expires_at"]["N"]), UTC),
        )
    reason = PurgeReason(image["purge_reason"]["S"]) if event is EventType.purged else None
    return ImageChange(event, record, sequence, at, purge_reason=reason)
