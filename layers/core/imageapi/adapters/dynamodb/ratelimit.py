"""The per-owner request counter of fair sharing: one item per owner, route and window in the
images table, bumped by one conditional ADD (the only DynamoDB write a limited request costs) and
dropped by the table's TTL once its window is over."""

from typing import TYPE_CHECKING

from imageapi.adapters.dynamodb.items import _n, _s, owner_pk
from imageapi.domain.ratelimit import Window

if TYPE_CHECKING:  # boto3 stubs are not needed at run time
    from mypy_boto3_dynamodb import DynamoDBClient

# TTL deletes within days, not at once: a window's item is keyed by its start, so a stale one is
# never read again; this only keeps the table tidy.
EXPIRY_GRACE_SECONDS = 3600


def rate_sk(route: str, window: Window) -> str:
    return f"RATE#{route}#{window.start}"


class DynamoRateCounter:
    def __init__(self, client: "DynamoDBClient", table: str) -> None:
        self._db = client
        self._table = table

    def take(self, owner: str, route: str, window: Window, limit: int) -> bool:
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"pk": _s(owner_pk(owner)), "sk": _s(rate_sk(route, window))},
                UpdateExpression="ADD hits :one SET expires_at = if_not_exists(expires_at, :expires)",
                ConditionExpression="attribute_not_exists(hits) OR hits < :limit",
                ExpressionAttributeValues={
                    ":one": _n(1),
                    ":limit": _n(limit),
                    ":expires": _n(window.ends + EXPIRY_GRACE_SECONDS),
                },
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True
