"""Image records in DynamoDB: an interface the domain code depends on, and its implementation.

One table, owner-scoped keys (see docs/architecture.md). Each state change is a conditional
write, and quota counters move in the same transaction as the state change they belong to, so a
redelivered event or a concurrent request can never count twice.
"""

import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from imageapi.cursors import CursorCodec
from imageapi.errors import NotFound, QuotaExceeded
from imageapi.models import ImageRecord, ImageStatus
from imageapi.search import normalise, trigrams

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

STATUS_INDEX = "gsi1"
# The count item sorts before every image id ("#" < "0"), outside the ids a search reads.
GRAM_COUNT_SK = "#count"
# One- and two-character queries have no trigram: their filtered scan of the owner's list reads
# at most this many pages' worth per request, then answer a short page and a cursor.
SHORT_QUERY_SCAN_PAGES = 3
_BATCH_WRITE = 25
_BATCH_GET = 100
_COUNT_WORKERS = 8


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


def _gram_item(owner: str, image_id: str, title: str, gram: str) -> dict[str, Any]:
    """One entry of the title index: the image id under one trigram, with the title to filter on."""
    return {"pk": _s(gram_pk(owner, gram)), "sk": _s(image_id), "title": _s(normalise(title))}


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
                # The new id as idempotency token: an SDK retry after a timeout of a transaction
                # that did commit succeeds instead of failing its own conditions (a false 500).
                ClientRequestToken=record.id,
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
                ],
            )
        except self._db.exceptions.TransactionCanceledException as error:
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
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
        grams: list[dict[str, Any]] = []
        counts: dict[tuple[str, str], int] = {}
        for record in records:
            for gram in trigrams(record.title):
                item = {
                    "pk": _s(gram_pk(record.owner, gram)),
                    "sk": _s(record.id),
                    "title": _s(normalise(record.title)),
                }
                grams.append({"PutRequest": {"Item": item}})
                counts[(record.owner, gram)] = counts.get((record.owner, gram), 0) + 1
        for batch in (items, grams):
            for start in range(0, len(batch), _BATCH_WRITE):
                self._batch_write(batch[start : start + _BATCH_WRITE])
        for owner in {owner for owner, _ in counts}:
            self._count_grams(owner, {gram: n for (o, gram), n in counts.items() if o == owner})

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
            {"PutRequest": {"Item": _gram_item(owner, image_id, title, g)}} for g in sorted(add)
        ] + [{"DeleteRequest": {"Key": {"pk": _s(gram_pk(owner, g)), "sk": _s(image_id)}}} for g in sorted(remove)]
        for start in range(0, len(requests), _BATCH_WRITE):
            self._batch_write(requests[start : start + _BATCH_WRITE])
        self._count_grams(owner, {g: 1 for g in add} | {g: -1 for g in remove})

    def _count_grams(self, owner: str, deltas: dict[str, int]) -> None:
        """Keep a count item in each trigram partition, so a search can pick the rarest one.
        The counts steer the choice only; results never depend on them being exact. One small
        atomic ADD per trigram, sent concurrently (a transaction would bill double for no gain)."""

        def add(gram: str, delta: int) -> None:
            key = {"pk": _s(gram_pk(owner, gram)), "sk": _s(GRAM_COUNT_SK)}
            updated = self._db.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="ADD images :delta",
                ExpressionAttributeValues={":delta": _n(delta)},
                ReturnValues="UPDATED_NEW",
            )
            if int(updated["Attributes"]["images"]["N"]) <= 0:  # the last title with it went: tidy up
                with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
                    self._db.delete_item(
                        TableName=self._table,
                        Key=key,
                        ConditionExpression="images <= :zero",
                        ExpressionAttributeValues={":zero": _n(0)},
                    )

        changes = [(gram, delta) for gram, delta in sorted(deltas.items()) if delta]
        with ThreadPoolExecutor(max_workers=_COUNT_WORKERS) as pool:
            list(pool.map(lambda change: add(*change), changes))

    def _gram_counts(self, owner: str, grams: set[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        keys = [{"pk": _s(gram_pk(owner, g)), "sk": _s(GRAM_COUNT_SK)} for g in sorted(grams)]
        for start in range(0, len(keys), _BATCH_GET):
            pending = keys[start : start + _BATCH_GET]
            while pending:
                response = self._db.batch_get_item(RequestItems={self._table: {"Keys": pending}})
                for item in response["Responses"].get(self._table, []):
                    counts[item["pk"]["S"].rsplit("#", 1)[1]] = int(item["images"]["N"])
                pending = response.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
        return {g: counts.get(g, 0) for g in grams}

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
        if query and trigrams(query):
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
        budget = None
        if query:  # one or two characters: too short for the trigram index
            request["FilterExpression"] = "contains(title_lower, :q)"
            request["ExpressionAttributeValues"][":q"] = _s(query)
            budget = SHORT_QUERY_SCAN_PAGES * (limit + 1)
        records, scanned, resume_after = self._query_page(request, limit, budget)
        if resume_after and len(records) <= limit:
            # The scan budget ran out first: a short page, and a cursor where the scan stopped.
            cursor = self._cursors.encode({"after": resume_after}, scope)
            return Page(records=records, next_cursor=cursor, scanned=scanned)
        return self._page(records, limit, len(records) > limit, scanned, scope)

    def _query_page(
        self, request: dict[str, Any], limit: int, budget: int | None = None
    ) -> tuple[list[ImageRecord], int, str | None]:
        """Read until ``limit + 1`` matching items (the extra one proves there is a next page), or
        until ``budget`` items were read; then also the id the read stopped after."""
        records: list[ImageRecord] = []
        scanned = 0
        while True:
            # A filtered scan reads in budget-sized steps; a plain page reads just what it needs.
            wanted = limit + 1 - len(records) if budget is None else budget - scanned
            response = self._db.query(TableName=self._table, ScanIndexForward=False, Limit=wanted, **request)
            scanned += response["ScannedCount"]
            records.extend(self._record(item) for item in response["Items"])
            last = response.get("LastEvaluatedKey")
            if len(records) > limit or not last:
                return records, scanned, None
            if budget is not None and scanned >= budget:
                return records, scanned, last["sk"]["S"].removeprefix("IMAGE#")
            request["ExclusiveStartKey"] = last

    def _search(
        self, owner: str, *, limit: int, after: str | None, status: ImageStatus | None, query: str, scope: str
    ) -> Page:
        counts = self._gram_counts(owner, trigrams(query))
        scanned = len(counts)
        gram, rarest = min(sorted(counts.items()), key=lambda entry: entry[1])
        if rarest <= 0:  # some trigram of the query is in no title: nothing can match
            return Page(records=[], next_cursor=None, scanned=scanned)
        request: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND sk > :count",
            "FilterExpression": "contains(title, :q)",
            "ExpressionAttributeValues": {
                ":pk": _s(gram_pk(owner, gram)),
                ":count": _s(GRAM_COUNT_SK),
                ":q": _s(query),
            },
            "ProjectionExpression": "sk",
        }
        if after:
            request["ExclusiveStartKey"] = {"pk": _s(gram_pk(owner, gram)), "sk": _s(after)}
        records: list[ImageRecord] = []
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
