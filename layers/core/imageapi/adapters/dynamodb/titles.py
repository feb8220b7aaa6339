"""The title index (SPEC §3.3 search): each title's trigrams as items under the owner, a count
per trigram so a search reads the rarest one, and the search itself. Words are normalised and
split into trigrams by ``imageapi.domain.search``."""

import contextlib
from collections.abc import Set
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from imageapi.adapters.dynamodb.base import Table
from imageapi.adapters.dynamodb.items import BATCH_GET, GRAM_COUNT_SK, _n, _s, gram_item, gram_pk
from imageapi.domain.models import ImageRecord, ImageStatus
from imageapi.domain.ports import Page
from imageapi.domain.search import trigrams

_COUNT_WORKERS = 8


class TitleIndex(Table):
    def _write_grams(
        self, owner: str, image_id: str, title: str, *, add: Set[str] = frozenset(), remove: Set[str] = frozenset()
    ) -> None:
        requests: list[dict[str, Any]] = [
            {"PutRequest": {"Item": gram_item(owner, image_id, title, g)}} for g in sorted(add)
        ] + [{"DeleteRequest": {"Key": {"pk": _s(gram_pk(owner, g)), "sk": _s(image_id)}}} for g in sorted(remove)]
        self._batch_write_all(requests)
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
        keys: list[Any] = [{"pk": _s(gram_pk(owner, g)), "sk": _s(GRAM_COUNT_SK)} for g in sorted(grams)]
        for start in range(0, len(keys), BATCH_GET):
            pending = keys[start : start + BATCH_GET]
            while pending:
                response = self._db.batch_get_item(RequestItems={self._table: {"Keys": pending}})
                for item in response["Responses"].get(self._table, []):
                    counts[item["pk"]["S"].rsplit("#", 1)[1]] = int(item["images"]["N"])
                unprocessed = response.get("UnprocessedKeys") or {}
                pending = list(unprocessed[self._table]["Keys"]) if self._table in unprocessed else []
        return {g: counts.get(g, 0) for g in grams}

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
