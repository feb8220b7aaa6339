"""Image records in DynamoDB: the implementation of ``ImageRepository`` (imageapi.domain.ports).

One table, owner-scoped keys (see docs/architecture.md). Each state change is a conditional
write, and quota counters (``quota``) and duplicate markers (``dedupe``) move in the same
transaction as the state change they belong to, so a redelivered event or a concurrent request
can never count twice. Reads, the title index and stored predictions live in their own modules.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from imageapi.adapters.dynamodb import dedupe
from imageapi.adapters.dynamodb import quota as quotas
from imageapi.adapters.dynamodb.bulk import BulkLoad
from imageapi.adapters.dynamodb.items import (
    _n,
    _s,
    cancellation_reasons,
    epoch_ms,
    event_attrs,
    image_item,
    image_key,
    purged_item,
    same_sequence,
    sequence_of,
)
from imageapi.adapters.dynamodb.predictions import PredictionStore
from imageapi.adapters.dynamodb.reads import ImageReads
from imageapi.domain.errors import NotFound, QuotaExceeded
from imageapi.domain.events import EventType, PurgeReason
from imageapi.domain.models import ImageRecord, ImageStatus
from imageapi.domain.ports import Quota
from imageapi.domain.search import normalise, trigrams

if TYPE_CHECKING:  # boto3 stubs are not needed at run time
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


# A delete re-reads and tries again when the record changed between its read and its write.
_CHANGE_RETRIES = 5


class DynamoImageRepository(ImageReads, PredictionStore, BulkLoad):
    def create_pending(self, record: ImageRecord, *, expires_at: int, quota: Quota) -> None:
        """Reserve quota for the declared size and write the pending record, atomically."""
        try:
            self._db.transact_write_items(
                # The new id as idempotency token: an SDK retry after a timeout of a transaction
                # that did commit succeeds instead of failing its own conditions (a false 500).
                ClientRequestToken=record.id,
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {
                                **image_item(record, expires_at),
                                **event_attrs(EventType.created, 1, record.created_at),
                            },
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    quotas.reserve(self._table, record, quota),
                ],
            )
        except self._db.exceptions.TransactionCanceledException as error:
            reasons = cancellation_reasons(error)
            # Ids are never reused: if the record exists, an SDK retry re-sent a write that had
            # committed (its response was lost) and the quota moved with it, once. Carry on.
            committed_already = reasons[:1] == ["ConditionalCheckFailed"] and self.get(record.owner, record.id)
            if not committed_already:
                if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                    raise QuotaExceeded(
                        f"quota of {quota.max_images} images or {quota.max_bytes} bytes reached"
                    ) from error
                raise
        self._write_grams(record.owner, record.id, record.title, add=trigrams(record.title))

    def _transition(self, record: ImageRecord, event: EventType, *, byte_delta: int, image_delta: int) -> bool:
        """Move a pending record to its new state and adjust quota, once. The item's sequence
        number moves and its event is set in the same conditional write (domain/events)."""
        item = image_item(record)
        items: list[TransactWriteItemTypeDef] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": image_key(record.owner, record.id),
                    "UpdateExpression": (
                        "SET #doc = :doc, #status = :status, gsi1pk = :gsi1pk, title_lower = :title, "
                        "ev = :ev, ev_at = :at REMOVE expires_at ADD seq :one"
                    ),
                    "ConditionExpression": "#status = :pending",
                    "ExpressionAttributeNames": {"#status": "status", "#doc": "doc"},
                    "ExpressionAttributeValues": {
                        ":pending": _s(ImageStatus.pending.value),
                        ":doc": item["doc"],
                        ":status": item["status"],
                        ":gsi1pk": item["gsi1pk"],
                        ":title": item["title_lower"],
                        ":ev": _s(event.value),
                        ":at": _n(epoch_ms(record.updated_at)),
                        ":one": _n(1),
                    },
                }
            }
        ]
        if byte_delta or image_delta:
            items.append(quotas.adjust(self._table, record.owner, images=image_delta, bytes_=byte_delta))
        if record.status is ImageStatus.ready and record.sha256:
            items.append(dedupe.put_marker(self._table, record))
        try:
            self._db.transact_write_items(TransactItems=items)
        except self._db.exceptions.TransactionCanceledException as error:
            reasons = cancellation_reasons(error)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False  # already moved on: a redelivered event changes nothing twice
            raise
        return True

    def complete(self, record: ImageRecord, *, byte_delta: int) -> bool:
        return self._transition(record, EventType.ready, byte_delta=byte_delta, image_delta=0)

    def reject(self, record: ImageRecord) -> bool:
        # A rejected upload gives its reservation back but keeps its record.
        return self._transition(record, EventType.rejected, byte_delta=-record.declared_bytes, image_delta=-1)

    def update(self, record: ImageRecord, *, old_title: str) -> None:
        """Save a changed title or served size. Only the record's own attributes are set, so
        counters kept beside it (the transforms claimed) survive."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=image_key(record.owner, record.id),
                UpdateExpression="SET #doc = :doc, title_lower = :title, ev = :ev, ev_at = :at ADD seq :one",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#doc": "doc"},
                ExpressionAttributeValues={
                    ":doc": _s(record.model_dump_json()),
                    ":title": _s(normalise(record.title)),
                    ":ev": _s(EventType.updated.value),
                    ":at": _n(epoch_ms(record.updated_at)),
                    ":one": _n(1),
                },
            )
        except self._db.exceptions.ConditionalCheckFailedException as error:
            raise NotFound(f"no image with id {record.id!r}") from error
        if normalise(old_title) != normalise(record.title):
            old, new = trigrams(old_title), trigrams(record.title)
            self._write_grams(record.owner, record.id, record.title, add=new, remove=old - new)

    def claim_transform(self, owner: str, image_id: str, name: str, cap: int) -> bool:
        """Count an on-demand rendition against the image's cap, once per distinct name.
        False when the cap is reached; claiming a name already claimed always succeeds."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=image_key(owner, image_id),
                # No state change: REMOVE ev keeps this write out of the event stream's filter.
                UpdateExpression="ADD transforms :name REMOVE ev",
                ConditionExpression=(
                    "attribute_exists(pk) AND (attribute_not_exists(transforms) OR "
                    "size(transforms) < :cap OR contains(transforms, :one))"
                ),
                ExpressionAttributeValues={":name": {"SS": [name]}, ":one": _s(name), ":cap": _n(cap)},
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def delete(self, record: ImageRecord, *, counted_bytes: int) -> bool:
        """Delete the record and give back its quota; False when it was already gone. The purge's
        event goes out through an outbox item written in the same transaction."""
        for _ in range(_CHANGE_RETRIES):
            found = self._db.get_item(
                TableName=self._table, Key=image_key(record.owner, record.id), ConsistentRead=True
            )
            if "Item" not in found:
                return False
            deleted = self._delete_at(record, found["Item"], counted_bytes=counted_bytes)
            if deleted is not None:
                break
        else:
            raise RuntimeError(f"image {record.id} kept changing while it was deleted")
        if not deleted:
            return False
        self._write_grams(record.owner, record.id, record.title, remove=trigrams(record.title))
        self._delete_predictions(record.owner, record.id)
        return True

    def _delete_at(self, record: ImageRecord, item: dict[str, Any], *, counted_bytes: int) -> bool | None:
        """One try at the delete transaction against the item as read: None when the item changed
        in between (read again), False when it is gone."""
        condition, values = same_sequence(item)
        items: list[TransactWriteItemTypeDef] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": image_key(record.owner, record.id),
                    "ConditionExpression": f"attribute_exists(pk) AND {condition}",
                    **values,
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": purged_item(
                        record, sequence_of(item) + 1, datetime.now(UTC), PurgeReason.deleted_permanently
                    ),
                }
            },
        ]
        if record.status is not ImageStatus.rejected:  # a rejected upload gave its reservation back
            items.append(quotas.adjust(self._table, record.owner, images=-1, bytes_=-counted_bytes))
        if record.sha256:
            items.append(dedupe.delete_marker(self._table, record))
        try:
            self._db.transact_write_items(TransactItems=items)
        except self._db.exceptions.TransactionCanceledException as error:
            reasons = cancellation_reasons(error)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return None
            if reasons[-1:] == ["ConditionalCheckFailed"] and record.sha256:
                # The marker points at a newer copy of the same bytes: keep it.
                return self._delete_at(record.model_copy(update={"sha256": None}), item, counted_bytes=counted_bytes)
            raise
        return True
