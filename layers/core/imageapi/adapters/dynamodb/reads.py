"""Reading image records: one by id, by content hash, and pages of the owner's list (by
status, by a short title filter, or through the title index)."""

from typing import Any

from imageapi.adapters.dynamodb.items import (
    STATUS_INDEX,
    _s,
    image_key,
    image_sk,
    owner_pk,
    record_of,
    status_pk,
)
from imageapi.adapters.dynamodb.titles import TitleIndex
from imageapi.domain.models import ImageRecord, ImageStatus
from imageapi.domain.ports import Page
from imageapi.domain.search import normalise, trigrams

# One- and two-character queries have no trigram: their filtered scan of the owner's list reads
# at most this many pages' worth per request, then answer a short page and a cursor.
SHORT_QUERY_SCAN_PAGES = 3


class ImageReads(TitleIndex):
    def get(self, owner: str, image_id: str) -> ImageRecord | None:
        response = self._db.get_item(TableName=self._table, Key=image_key(owner, image_id), ConsistentRead=True)
        item = response.get("Item")
        return record_of(item) if item else None

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
            records.extend(record_of(item) for item in response["Items"])
            last = response.get("LastEvaluatedKey")
            if len(records) > limit or not last:
                return records, scanned, None
            if budget is not None and scanned >= budget:
                return records, scanned, last["sk"]["S"].removeprefix("IMAGE#")
            request["ExclusiveStartKey"] = last
