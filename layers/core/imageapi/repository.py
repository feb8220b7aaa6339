"""Image records in DynamoDB: an interface the domain code depends on, and its implementation.

One table, owner-scoped keys (see docs/architecture.md). Each state change is a conditional
write, and quota counters move in the same transaction as the state change they belong to, so a
redelivered event or a concurrent request can never count twice.
"""

import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from imageapi.cursors import CursorCodec
from imageapi.errors import NotFound, QuotaExceeded
from imageapi.models import ImageRecord, ImageStatus
from imageapi.search import normalise, rarest_trigram, trigrams

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

STATUS_INDEX = "gsi1"
_BATCH_WRITE = 25


@dataclass(frozen=True)
class Quota:
    max_images: int
    max_bytes: int


@dataclass(frozen=True)
class Page:
    records: list[ImageRecord]
    next_cursor: str | None
    scanned: int  # items DynamoDB read for this page (ScannedCount), for tests and benchmarks


class ImageRepository(Protocol):
    def create_pending(self, record: ImageRecord, *, expires_at: int, quota: Quota) -> None: ...
    def get(self, owner: str, image_id: str) -> ImageRecord | None: ...
    def list_page(
        self, owner: str, *, limit: int, cursor: str | None, status: ImageStatus | None, query: str | None
    ) -> Page: ...
    def find_ready_by_sha256(self, owner: str, sha256: str) -> ImageRecord | None: ...
    def complete(self, record: ImageRecord, *, byte_delta: int) -> bool: ...
    def reject(self, record: ImageRecord) -> bool: ...
    def update(self, record: ImageRecord, *, old_title: str) -> None: ...
    def claim_transform(self, owner: str, image_id: str, name: str, cap: int) -> bool: ...
    def get_prediction(self, owner: str, image_id: str, task: str, version: str) -> str | None: ...
    def put_prediction(self, owner: str, image_id: str, task: str, version: str, doc: str) -> None: ...
    def delete(self, record: ImageRecord, *, counted_bytes: int) -> bool: ...


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


class DynamoImageRepository:
    def __init__(self, client: "DynamoDBClient", table: str, cursors: CursorCodec) -> None:
        self._db = client
        self._table = table
        self._cursors = cursors

    # ------------------------------------------------------------------ items
    def _image_item(self, record: ImageRecord, expires_at: int | None = None) -> dict[str, Any]:
        item = {
            "pk": _s(owner_pk(record.owner)),
            "sk": _s(image_sk(record.id)),
            "gsi1pk": _s(status_pk(record.owner, record.status)),
            "gsi1sk": _s(record.id),
            "status": _s(record.status.value),
            "title_lower": _s(normalise(record.title)),
            "doc": _s(record.model_dump_json()),
        }
        if expires_at is not None:
            item["expires_at"] = _n(expires_at)
        return item

    @staticmethod
    def _record(item: dict[str, Any]) -> ImageRecord:
        return ImageRecord.model_validate_json(item["doc"]["S"])

    def _quota_key(self, owner: str) -> dict[str, Any]:
        return {"pk": _s(owner_pk(owner)), "sk": _s("QUOTA")}

    def _image_key(self, owner: str, image_id: str) -> dict[str, Any]:
        return {"pk": _s(owner_pk(owner)), "sk": _s(image_sk(image_id))}

    # ------------------------------------------------------------------ writes
    def create_pending(self, record: ImageRecord, *, expires_at: int, quota: Quota) -> None:
        """Reserve quota for the declared size and write the pending record, atomically."""
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": self._image_item(record, expires_at),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": self._quota_key(record.owner),
                            "UpdateExpression": "ADD images :one, bytes :bytes",
                            "ConditionExpression": (
                                "(attribute_not_exists(images) OR images < :max_images) AND "
                                "(attribute_not_exists(bytes) OR bytes <= :bytes_left)"
                            ),
                            "ExpressionAttributeValues": {
                                ":one": _n(1),
                                ":bytes": _n(record.declared_bytes),
                                ":max_images": _n(quota.max_images),
                                ":bytes_left": _n(quota.max_bytes - record.declared_bytes),
                            },
                        }
                    },
                ]
            )
        except self._db.exceptions.TransactionCanceledException as error:
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                raise QuotaExceeded(f"quota of {quota.max_images} images or {quota.max_bytes} bytes reached") from error
            raise
        self._write_grams(record.owner, record.id, record.title, add=trigrams(record.title))

    def _transition(self, record: ImageRecord, *, byte_delta: int, image_delta: int) -> bool:
        """Move a pending record to its new state and adjust quota, once."""
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._image_item(record),
                    "ConditionExpression": "#status = :pending",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {":pending": _s(ImageStatus.pending.value)},
                }
            }
        ]
        if byte_delta or image_delta:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": self._quota_key(record.owner),
                        "UpdateExpression": "ADD images :images, bytes :bytes",
                        "ExpressionAttributeValues": {":images": _n(image_delta), ":bytes": _n(byte_delta)},
                    }
                }
            )
        if record.status is ImageStatus.ready and record.sha256:
            items.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            "pk": _s(owner_pk(record.owner)),
                            "sk": _s(f"SHA256#{record.sha256}"),
                            "image_id": _s(record.id),
                        },
                    }
                }
            )
        try:
            self._db.transact_write_items(TransactItems=items)
        except self._db.exceptions.TransactionCanceledException as error:
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False  # already moved on: a redelivered event changes nothing twice
            raise
        return True

    def complete(self, record: ImageRecord, *, byte_delta: int) -> bool:
        return self._transition(record, byte_delta=byte_delta, image_delta=0)

    def reject(self, record: ImageRecord) -> bool:
        # A rejected upload gives its reservation back but keeps its record.
        return self._transition(record, byte_delta=-record.declared_bytes, image_delta=-1)

    def update(self, record: ImageRecord, *, old_title: str) -> None:
        """Save a changed title or served size. Only the record's own attributes are set, so
        counters kept beside it (the transforms claimed) survive."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=self._image_key(record.owner, record.id),
                UpdateExpression="SET #doc = :doc, title_lower = :title",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#doc": "doc"},
                ExpressionAttributeValues={":doc": _s(record.model_dump_json()), ":title": _s(normalise(record.title))},
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
                Key=self._image_key(owner, image_id),
                UpdateExpression="ADD transforms :name",
                ConditionExpression=(
                    "attribute_exists(pk) AND (attribute_not_exists(transforms) OR "
                    "size(transforms) < :cap OR contains(transforms, :one))"
                ),
                ExpressionAttributeValues={":name": {"SS": [name]}, ":one": _s(name), ":cap": _n(cap)},
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def bulk_load(self, records: list[ImageRecord]) -> None:
        """Write records and their title index in batches, without quota accounting or
        conditions: for migrations, benchmarks and tests that need thousands of images."""
        items = [{"PutRequest": {"Item": self._image_item(record)}} for record in records]
        for start in range(0, len(items), _BATCH_WRITE):
            self._batch_write(items[start : start + _BATCH_WRITE])
        for record in records:
            self._write_grams(record.owner, record.id, record.title, add=trigrams(record.title))

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending = {self._table: requests}
        for attempt in range(8):
            pending = self._db.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not pending:
                return
            time.sleep(0.05 * 2**attempt)
        raise RuntimeError("DynamoDB kept items unprocessed after retries")

    # ------------------------------------------------------------------ predictions
    def _prediction_key(self, owner: str, image_id: str, task: str, version: str) -> dict[str, Any]:
        return {"pk": _s(owner_pk(owner)), "sk": _s(f"PRED#{image_id}#{task}#{version}")}

    def get_prediction(self, owner: str, image_id: str, task: str, version: str) -> str | None:
        """A stored result (JSON) for this image, task and model version, if any."""
        item = self._db.get_item(TableName=self._table, Key=self._prediction_key(owner, image_id, task, version))
        return item["Item"]["doc"]["S"] if "Item" in item else None

    def put_prediction(self, owner: str, image_id: str, task: str, version: str, doc: str) -> None:
        # A concurrent request may have stored the same model's answer first: keep that one.
        with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.put_item(
                TableName=self._table,
                Item={**self._prediction_key(owner, image_id, task, version), "doc": _s(doc)},
                ConditionExpression="attribute_not_exists(pk)",
            )

    def _delete_predictions(self, owner: str, image_id: str) -> None:
        response = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": _s(owner_pk(owner)), ":prefix": _s(f"PRED#{image_id}#")},
            ProjectionExpression="pk, sk",
        )
        for item in response["Items"]:
            self._db.delete_item(TableName=self._table, Key={"pk": item["pk"], "sk": item["sk"]})

    def delete(self, record: ImageRecord, *, counted_bytes: int) -> bool:
        """Delete the record and give back its quota; False when it was already gone."""
        counts_toward_quota = record.status is not ImageStatus.rejected
        items: list[dict[str, Any]] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": self._image_key(record.owner, record.id),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            }
        ]
        if counts_toward_quota:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": self._quota_key(record.owner),
                        "UpdateExpression": "ADD images :images, bytes :bytes",
                        "ExpressionAttributeValues": {":images": _n(-1), ":bytes": _n(-counted_bytes)},
                    }
                }
            )
        if record.sha256:
            items.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": {"pk": _s(owner_pk(record.owner)), "sk": _s(f"SHA256#{record.sha256}")},
                        "ConditionExpression": "attribute_not_exists(pk) OR image_id = :id",
                        "ExpressionAttributeValues": {":id": _s(record.id)},
                    }
                }
            )
        try:
            self._db.transact_write_items(TransactItems=items)
        except self._db.exceptions.TransactionCanceledException as error:
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False
            if len(reasons) == 3 and reasons[2] == "ConditionalCheckFailed":
                # The marker points at a newer copy of the same bytes: keep it.
                return self.delete(record.model_copy(update={"sha256": None}), counted_bytes=counted_bytes)
            raise
        self._write_grams(record.owner, record.id, record.title, remove=trigrams(record.title))
        self._delete_predictions(record.owner, record.id)
        return True

    def _write_grams(
        self, owner: str, image_id: str, title: str, *, add: set[str] = frozenset(), remove: set[str] = frozenset()
    ) -> None:
        requests: list[dict[str, Any]] = [
            {"PutRequest": {"Item": {"pk": _s(gram_pk(owner, g)), "sk": _s(image_id), "title": _s(normalise(title))}}}
            for g in sorted(add)
        ] + [{"DeleteRequest": {"Key": {"pk": _s(gram_pk(owner, g)), "sk": _s(image_id)}}} for g in sorted(remove)]
        for start in range(0, len(requests), _BATCH_WRITE):
            self._batch_write(requests[start : start + _BATCH_WRITE])

    # ------------------------------------------------------------------ reads
    def get(self, owner: str, image_id: str) -> ImageRecord | None:
        response = self._db.get_item(TableName=self._table, Key=self._image_key(owner, image_id), ConsistentRead=True)
        item = response.get("Item")
        return self._record(item) if item else None

    def find_ready_by_sha256(self, owner: str, sha256: str) -> ImageRecord | None:
        response = self._db.get_item(
            TableName=self._table, Key={"pk": _s(owner_pk(owner)), "sk": _s(f"SHA256#{sha256}")}
        )
        marker = response.get("Item")
        if not marker:
            return None
        record = self.get(owner, marker["image_id"]["S"])
        return record if record and record.status is ImageStatus.ready else None

    def list_page(
        self, owner: str, *, limit: int, cursor: str | None, status: ImageStatus | None, query: str | None
    ) -> Page:
        query = normalise(query) if query else None
        scope = f"{owner}\0{status.value if status else ''}\0{query or ''}"
        after = self._cursors.decode(cursor, scope)["after"] if cursor else None
        if query and rarest_trigram(query):
            return self._search(owner, limit=limit, after=after, status=status, query=query, scope=scope)
        if status is not None:
            request: dict[str, Any] = {
                "IndexName": STATUS_INDEX,
                "KeyConditionExpression": "gsi1pk = :pk",
                "ExpressionAttributeValues": {":pk": _s(status_pk(owner, status))},
            }
            if after:
                request["ExclusiveStartKey"] = {
                    "gsi1pk": _s(status_pk(owner, status)),
                    "gsi1sk": _s(after),
                    "pk": _s(owner_pk(owner)),
                    "sk": _s(image_sk(after)),
                }
        else:
            request = {
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :image)",
                "ExpressionAttributeValues": {":pk": _s(owner_pk(owner)), ":image": _s("IMAGE#")},
            }
            if after:
                request["ExclusiveStartKey"] = {"pk": _s(owner_pk(owner)), "sk": _s(image_sk(after))}
        if query:  # one or two characters: too short for the trigram index
            request["FilterExpression"] = "contains(title_lower, :q)"
            request["ExpressionAttributeValues"][":q"] = _s(query)
        records, scanned, more = self._query_page(request, limit)
        return self._page(records, limit, more, scanned, scope)

    def _query_page(self, request: dict[str, Any], limit: int) -> tuple[list[ImageRecord], int, bool]:
        """Read until ``limit + 1`` matching items (the extra one proves there is a next page)."""
        records: list[ImageRecord] = []
        scanned = 0
        while True:
            response = self._db.query(
                TableName=self._table, ScanIndexForward=False, Limit=limit + 1 - len(records), **request
            )
            scanned += response["ScannedCount"]
            records.extend(self._record(item) for item in response["Items"])
            last = response.get("LastEvaluatedKey")
            if len(records) > limit or not last:
                return records, scanned, len(records) > limit
            request["ExclusiveStartKey"] = last

    def _search(
        self, owner: str, *, limit: int, after: str | None, status: ImageStatus | None, query: str, scope: str
    ) -> Page:
        gram = rarest_trigram(query)
        assert gram is not None
        request: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk",
            "FilterExpression": "contains(title, :q)",
            "ExpressionAttributeValues": {":pk": _s(gram_pk(owner, gram)), ":q": _s(query)},
            "ProjectionExpression": "sk",
        }
        if after:
            request["ExclusiveStartKey"] = {"pk": _s(gram_pk(owner, gram)), "sk": _s(after)}
        records: list[ImageRecord] = []
        scanned = 0
        while len(records) <= limit:
            response = self._db.query(TableName=self._table, ScanIndexForward=False, Limit=limit + 1, **request)
            scanned += response["ScannedCount"]
            ids = [item["sk"]["S"] for item in response["Items"]]
            found = self._batch_get(owner, ids)
            scanned += len(ids)
            records.extend(r for r in found if status is None or r.status is status)
            last = response.get("LastEvaluatedKey")
            if not last:
                break
            request["ExclusiveStartKey"] = last
        more = len(records) > limit
        return self._page(records, limit, more, scanned, scope)

    def _batch_get(self, owner: str, ids: list[str]) -> list[ImageRecord]:
        if not ids:
            return []
        keys = [self._image_key(owner, image_id) for image_id in ids]
        found: dict[str, ImageRecord] = {}
        while keys:
            response = self._db.batch_get_item(RequestItems={self._table: {"Keys": keys}})
            for item in response["Responses"].get(self._table, []):
                record = self._record(item)
                found[record.id] = record
            keys = response.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
        # Keep the index order (newest first); ids whose record is gone are skipped.
        return [found[i] for i in ids if i in found]

    def _page(self, records: list[ImageRecord], limit: int, more: bool, scanned: int, scope: str) -> Page:
        page = records[:limit]
        next_cursor = self._cursors.encode({"after": page[-1].id}, scope) if more and page else None
        return Page(records=page, next_cursor=next_cursor, scanned=scanned)
