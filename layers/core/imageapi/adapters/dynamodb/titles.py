"""The title index (SPEC §3.3 search): each title's trigrams as items under the owner, a count
per trigram so a search reads the rarest one, and the search itself. Words are normalised and
split into trigrams by ``imageapi.domain.search``."""

import contextlib
from collections.abc import Set
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from imageapi.adapters.dynamodb.base import Table
from imageapi.adapters.dynamodb.items import BATCH_GET, GRAM_COUNT_SK, _n, _s, gram_count_key, gram_item, gram_pk
from imageapi.domain.models import ImageRecord, ImageStatus
from imageapi.domain.ports import Page
from imageapi.domain.search import trigrams

_COUNT_WORKERS = 8
# Queries with at most this many trigrams zig-zag over all of them without reading their counts.
_DIRECT_GRAMS = 3
# With counts read, a rarest partition of at most this many pages is read whole instead.
_SCAN_RAREST_PAGES = 3


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
            key = gram_count_key(owner, gram)
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
        keys: list[Any] = [gram_count_key(owner, g) for g in sorted(grams)]
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
        """Zig-zag ("leapfrog") join of the trigram partitions, newest first: seek each partition in
        turn for its newest id below the current bound. Every id above what a seek returns is
        missing from that partition, so no match; the id it returns is checked against its title
        (on the index item), so it is either a match or excluded. Each seek reads one item, and a
        run of titles that share one trigram but not the others is jumped over, so trigrams that
        are common alone but rare together read in proportion to the matches, not the partitions.

        A query of up to ``_DIRECT_GRAMS`` trigrams zig-zags over all of them (reading their counts
        would cost as much as it saves; a trigram in no title ends the search at its first seek);
        a longer one reads the counts and zig-zags over the ``_DIRECT_GRAMS`` rarest, or reads the
        rarest partition whole when that is at most ``_SCAN_RAREST_PAGES`` pages."""
        grams = sorted(trigrams(query), key=query.index)
        scanned = 0
        if len(grams) > _DIRECT_GRAMS:
            counts = self._gram_counts(owner, set(grams))
            scanned = len(counts)
            if min(counts.values()) <= 0:  # some trigram of the query is in no title: nothing can match
                return Page(records=[], next_cursor=None, scanned=scanned)
            grams = sorted(grams, key=lambda g: (counts[g], query.index(g)))[:_DIRECT_GRAMS]
            if counts[grams[0]] <= _SCAN_RAREST_PAGES * (limit + 1):
                # A small rarest partition costs no more read whole, and in far fewer requests.
                return self._scan_partition(owner, grams[0], limit, after, status, query, scope, scanned)
        records: list[ImageRecord] = []
        pending: list[str] = []  # matching ids whose records are not read yet
        below, turn, run = after, 0, 0
        while len(records) <= limit:
            # A run of matches in one partition is read in growing steps (one request, not one a
            # match); the first miss goes back to single-item seeks in the next partition.
            want = max(1, min(2**run, limit + 1 - len(records) - len(pending)))
            entries, exhausted = self._seek(owner, grams[turn % len(grams)], below, want)
            scanned += max(1, len(entries))
            hits = [image_id for image_id, title in entries if query in title]
            pending += hits
            if exhausted or len(records) + len(pending) > limit:
                # Read the records of the matches (a status filter may drop some: then seek on).
                records.extend(r for r in self._batch_get(owner, pending) if status is None or r.status is status)
                scanned += len(pending)
                pending = []
            if exhausted:  # that partition has nothing further down: no more matches anywhere
                break
            below = entries[-1][0]
            run, turn = (run + 1, turn) if len(hits) == len(entries) else (0, turn + 1)
        return self._page(records, limit, len(records) > limit, scanned, scope)

    def _scan_partition(
        self,
        owner: str,
        gram: str,
        limit: int,
        after: str | None,
        status: ImageStatus | None,
        query: str,
        scope: str,
        scanned: int,
    ) -> Page:
        """Read one trigram partition in order, filtered on the full title, until a page is full."""
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
            records.extend(r for r in self._batch_get(owner, ids) if status is None or r.status is status)
            scanned += len(ids)
            last = response.get("LastEvaluatedKey")
            if not last:
                break
            request["ExclusiveStartKey"] = last
        return self._page(records, limit, len(records) > limit, scanned, scope)

    def _seek(self, owner: str, gram: str, below: str | None, count: int) -> tuple[list[tuple[str, str]], bool]:
        """The newest ``count`` entries (id, title) of one trigram partition with an id below
        ``below`` (all when None; a position that need not exist in this partition), and whether
        the partition ends there."""
        pk = _s(gram_pk(owner, gram))
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk > :count",  # the count item sorts before every id
            "ExpressionAttributeValues": {":pk": pk, ":count": _s(GRAM_COUNT_SK)},
            "ProjectionExpression": "sk, title",
            "ScanIndexForward": False,
            "Limit": count,
        }
        if below is not None:
            request["ExclusiveStartKey"] = {"pk": pk, "sk": _s(below)}
        response = self._db.query(**request)
        entries = [(item["sk"]["S"], item["title"]["S"]) for item in response["Items"]]
        return entries, not entries or "LastEvaluatedKey" not in response
