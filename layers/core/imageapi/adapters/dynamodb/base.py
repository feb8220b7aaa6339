"""What every part of the DynamoDB adapter shares: the client, the table, the cursor codec,
batched writes and reads, and paging."""

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from imageapi.adapters.dynamodb.items import BATCH_WRITE, image_key, record_of
from imageapi.domain.cursors import CursorCodec
from imageapi.domain.models import ImageRecord
from imageapi.domain.ports import Page

if TYPE_CHECKING:  # boto3 stubs are not needed at run time
    from mypy_boto3_dynamodb import DynamoDBClient


class Table:
    def __init__(self, client: "DynamoDBClient", table: str, cursors: CursorCodec) -> None:
        self._db = client
        self._table = table
        self._cursors = cursors

    def _batch_write_all(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), BATCH_WRITE):
            self._batch_write(requests[start : start + BATCH_WRITE])

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending: Mapping[str, Sequence[Any]] = {self._table: requests}
        for attempt in range(8):
            pending = self._db.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not pending:
                return
            time.sleep(0.05 * 2**attempt)
        raise RuntimeError("DynamoDB kept items unprocessed after retries")

    def _batch_get(self, owner: str, ids: list[str]) -> list[ImageRecord]:
        if not ids:
            return []
        keys: list[Any] = [image_key(owner, image_id) for image_id in ids]
        found: dict[str, ImageRecord] = {}
        while keys:
            response = self._db.batch_get_item(RequestItems={self._table: {"Keys": keys}})
            for item in response["Responses"].get(self._table, []):
                record = record_of(item)
                found[record.id] = record
            unprocessed = response.get("UnprocessedKeys") or {}
            keys = list(unprocessed[self._table]["Keys"]) if self._table in unprocessed else []
        # Keep the index order (newest first); ids whose record is gone are skipped.
        return [found[i] for i in ids if i in found]

    def _page(self, records: list[ImageRecord], limit: int, more: bool, scanned: int, scope: str) -> Page:
        page = records[:limit]
        next_cursor = self._cursors.encode({"after": page[-1].id}, scope) if more and page else None
        return Page(records=page, next_cursor=next_cursor, scanned=scanned)
