"""The trash in DynamoDB (``TrashBin`` of imageapi.domain.trash).

A trashed image is the item ``OWNER#{sub}`` / ``TRASH#{id}``: outside the ``IMAGE#`` range every
read of live images uses, so nothing else needs a check. Its GSI key puts it in the owner's
``STATUS#deleted`` partition sorted by deletion time, so ``GET /images?status=deleted`` reads a
page, newest deletion first, for reads proportional to the page. ``expires_at`` is the table's
TTL attribute: DynamoDB removes the item after the window; until it does, reads skip it.
The title index and the duplicate marker are removed when trashing (so search and dedupe never
see the image) and written again on restore; stored predictions are dropped (they are a cache
of a deterministic result and recomputed on demand).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from imageapi.adapters.dynamodb import dedupe
from imageapi.adapters.dynamodb import quota as quotas
from imageapi.adapters.dynamodb.items import (
    STATUS_INDEX,
    _n,
    _s,
    cancellation_reasons,
    event_attrs,
    image_item,
    image_key,
    owner_pk,
    purged_item,
    record_of,
    same_sequence,
    sequence_of,
    sha256_key,
    status_pk,
)
from imageapi.adapters.dynamodb.predictions import PredictionStore
from imageapi.adapters.dynamodb.titles import TitleIndex
from imageapi.domain.errors import QuotaExceeded
from imageapi.domain.events import EventType, PurgeReason
from imageapi.domain.models import ImageRecord, ImageStatus
from imageapi.domain.ports import Quota
from imageapi.domain.search import normalise, trigrams
from imageapi.domain.trash import TrashedImage, TrashPage, counted_bytes, counts_toward_quota

if TYPE_CHECKING:  # boto3 stubs are not needed at run time
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

# A title filter over the trash reads at most this many pages' worth per request.
FILTER_SCAN_PAGES = 3
_CCF = "ConditionalCheckFailed"
_CHANGE_RETRIES = 5  # the move re-reads and tries again when the record changed in between


def trash_key(owner: str, image_id: str) -> dict[str, Any]:
    return {"pk": _s(owner_pk(owner)), "sk": _s(f"TRASH#{image_id}")}


def _position(deleted_at: datetime, image_id: str) -> str:
    """The GSI sort key: deletion time (ms, fixed width) then id, so newest deletion sorts last."""
    return f"{int(deleted_at.timestamp() * 1000):015d}#{image_id}"


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


def _trashed_of(item: dict[str, Any]) -> TrashedImage:
    return TrashedImage(
        record=record_of(item),
        deleted_at=datetime.fromtimestamp(int(item["deleted_at"]["N"]) / 1000, UTC),
        purge_at=datetime.fromtimestamp(int(item["expires_at"]["N"]), UTC),
    )


class DynamoTrash(TitleIndex, PredictionStore):
    def trash(self, record: ImageRecord, *, deleted_at: datetime, purge_at: datetime) -> bool:
        for _ in range(_CHANGE_RETRIES):
            live = self._db.get_item(TableName=self._table, Key=image_key(record.owner, record.id), ConsistentRead=True)
            if "Item" not in live:
                return False
            moved = self._trash_at(record, live["Item"], deleted_at=deleted_at, purge_at=purge_at)
            if moved is not None:
                break
        else:
            raise RuntimeError(f"image {record.id} kept changing while it was deleted")
        if not moved:
            return False
        self._write_grams(record.owner, record.id, record.title, remove=trigrams(record.title))
        self._delete_predictions(record.owner, record.id)
        return True

    def _trash_at(
        self, record: ImageRecord, live: dict[str, Any], *, deleted_at: datetime, purge_at: datetime
    ) -> bool | None:
        """One try at the move, against the live item as read: None when it changed in between."""
        item: dict[str, Any] = {
            **trash_key(record.owner, record.id),
            "gsi1pk": _s(status_pk(record.owner, ImageStatus.deleted)),
            "gsi1sk": _s(_position(deleted_at, record.id)),
            "title_lower": _s(normalise(record.title)),
            "doc": _s(record.model_dump_json()),
            "deleted_at": _n(int(deleted_at.timestamp() * 1000)),
            "expires_at": _n(_epoch(purge_at)),
            **event_attrs(EventType.deleted, sequence_of(live) + 1, deleted_at),
        }
        if "transforms" in live:  # the renditions claimed still count after a restore
            item["transforms"] = live["transforms"]
        condition, values = same_sequence(live)
        items: list[TransactWriteItemTypeDef] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": image_key(record.owner, record.id),
                    "ConditionExpression": f"attribute_exists(pk) AND {condition}",
                    **values,
                }
            },
            {"Put": {"TableName": self._table, "Item": item}},
        ]
        if counts_toward_quota(record):
            items.append(quotas.adjust(self._table, record.owner, images=-1, bytes_=-counted_bytes(record)))
        if record.sha256:
            items.append(dedupe.delete_marker(self._table, record))
        if self._transact(items, drop_last_on_conflict=bool(record.sha256)):
            return True
        gone = "Item" not in self._db.get_item(
            TableName=self._table, Key=image_key(record.owner, record.id), ConsistentRead=True
        )
        return False if gone else None

    def get_trashed(self, owner: str, image_id: str, *, now: datetime) -> TrashedImage | None:
        found = self._db.get_item(TableName=self._table, Key=trash_key(owner, image_id), ConsistentRead=True)
        item = found.get("Item")
        if not item or int(item["expires_at"]["N"]) <= _epoch(now):
            return None  # never trashed, purged, or past its window (TTL deletes lazily)
        return _trashed_of(item)

    def restore(self, owner: str, image_id: str, *, now: datetime, quota: Quota) -> ImageRecord | None:
        found = self._db.get_item(TableName=self._table, Key=trash_key(owner, image_id), ConsistentRead=True)
        if "Item" not in found:
            return None
        record = record_of(found["Item"])
        live = {**image_item(record), **event_attrs(EventType.restored, sequence_of(found["Item"]) + 1, now)}
        if "transforms" in found["Item"]:
            live["transforms"] = found["Item"]["transforms"]
        items: list[TransactWriteItemTypeDef] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": trash_key(owner, image_id),
                    "ConditionExpression": "attribute_exists(pk) AND expires_at > :now",
                    "ExpressionAttributeValues": {":now": _n(_epoch(now))},
                }
            },
            {"Put": {"TableName": self._table, "Item": live, "ConditionExpression": "attribute_not_exists(pk)"}},
        ]
        quota_at = None
        if counts_toward_quota(record):
            quota_at = len(items)
            holds = record.model_copy(update={"declared_bytes": counted_bytes(record)})
            items.append(quotas.reserve(self._table, holds, quota))
        marker = record.status is ImageStatus.ready and bool(record.sha256)
        if marker:
            items.append(self._put_marker_if_free(record))
        try:
            if not self._transact(items, drop_last_on_conflict=marker):
                return None
        except self._db.exceptions.TransactionCanceledException as error:
            if quota_at is not None and cancellation_reasons(error)[quota_at : quota_at + 1] == [_CCF]:
                raise QuotaExceeded(
                    f"restoring would exceed the quota of {quota.max_images} images or {quota.max_bytes} bytes"
                ) from error
            raise
        self._write_grams(owner, image_id, record.title, add=trigrams(record.title))
        return record

    def forget(self, owner: str, image_id: str) -> bool:
        """Remove a trashed record for good; its purge event goes out through an outbox item
        written in the same transaction (trash items never change, so no sequence check)."""
        found = self._db.get_item(TableName=self._table, Key=trash_key(owner, image_id), ConsistentRead=True)
        if "Item" not in found:
            return False
        outbox = purged_item(
            record_of(found["Item"]),
            sequence_of(found["Item"]) + 1,
            datetime.now(UTC),
            PurgeReason.deleted_permanently,
        )
        items: list[TransactWriteItemTypeDef] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": trash_key(owner, image_id),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            {"Put": {"TableName": self._table, "Item": outbox}},
        ]
        return self._transact(items, drop_last_on_conflict=False)

    def list_trash(self, owner: str, *, limit: int, cursor: str | None, query: str | None, now: datetime) -> TrashPage:
        query = normalise(query) if query else None
        scope = f"{owner}\0{ImageStatus.deleted.value}\0{query or ''}"
        after = self._cursors.decode(cursor, scope)["after"] if cursor else None
        values: dict[str, Any] = {":pk": _s(status_pk(owner, ImageStatus.deleted)), ":now": _n(_epoch(now))}
        request: dict[str, Any] = {
            "IndexName": STATUS_INDEX,
            "KeyConditionExpression": "gsi1pk = :pk",
            # Expired items are the oldest deletions: they sit at the end of the partition.
            "FilterExpression": "expires_at > :now",
            "ExpressionAttributeValues": values,
        }
        budget = None
        if query:
            request["FilterExpression"] += " AND contains(title_lower, :q)"
            values[":q"] = _s(query)
            budget = FILTER_SCAN_PAGES * (limit + 1)
        if after:
            request["ExclusiveStartKey"] = {
                "gsi1pk": values[":pk"],
                "gsi1sk": _s(after),
                **trash_key(owner, str(after).split("#", 1)[1]),
            }
        found: list[tuple[str, TrashedImage]] = []
        scanned = 0
        while True:
            wanted = limit + 1 - len(found) if budget is None else max(1, budget - scanned)
            response = self._db.query(TableName=self._table, ScanIndexForward=False, Limit=wanted, **request)
            scanned += response["ScannedCount"]
            found += [(item["gsi1sk"]["S"], _trashed_of(item)) for item in response["Items"]]
            last = response.get("LastEvaluatedKey")
            if len(found) > limit or not last:
                break
            if budget is not None and scanned >= budget:  # a short page, and a cursor where it stopped
                resume = self._cursors.encode({"after": last["gsi1sk"]["S"]}, scope)
                return TrashPage(items=[t for _, t in found], next_cursor=resume, scanned=scanned)
            request["ExclusiveStartKey"] = last
        page = found[:limit]
        more = len(found) > limit and bool(page)
        next_cursor = self._cursors.encode({"after": page[-1][0]}, scope) if more else None
        return TrashPage(items=[t for _, t in page], next_cursor=next_cursor, scanned=scanned)

    def _put_marker_if_free(self, record: ImageRecord) -> TransactWriteItemTypeDef:
        assert record.sha256
        return {
            "Put": {
                "TableName": self._table,
                "Item": {**sha256_key(record.owner, record.sha256), "image_id": _s(record.id)},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _transact(self, items: list[TransactWriteItemTypeDef], *, drop_last_on_conflict: bool) -> bool:
        """Run the transaction; False when its first item's condition failed (the state moved
        on). When only the last item (the duplicate marker) conflicts, a newer image with the
        same bytes holds the marker: leave it to that image and commit without it."""
        try:
            self._db.transact_write_items(TransactItems=items)
        except self._db.exceptions.TransactionCanceledException as error:
            reasons = cancellation_reasons(error)
            if reasons[:1] == [_CCF]:
                return False
            if drop_last_on_conflict and reasons[-1:] == [_CCF] and _CCF not in reasons[:-1]:
                return self._transact(items[:-1], drop_last_on_conflict=False)
            raise
        return True
