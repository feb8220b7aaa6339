"""The webhook delivery log in the images table (``DeliveryLog`` of domain/webhooks/ports).

A delivery is ``OWNER#{sub}#WH#{endpoint id}`` / ``{delivery id}``: one partition per endpoint,
delivery ids sorted by their event's time (domain/webhooks/service.delivery_id), so the log reads
newest first a page at a time, and ``recover {since}`` is a key range. ``expires_at`` (the
table's TTL) drops a delivery after ``WEBHOOK_DELIVERY_RETENTION_DAYS``. Every change of a
delivery is conditional on the round (``generation``) and try (``tries``) it was read at.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from imageapi.adapters.dynamodb.items import _n, _s, epoch_ms, owner_pk
from imageapi.domain.cursors import CursorCodec
from imageapi.domain.ids import ulid
from imageapi.domain.webhooks.models import Attempt, Delivery, DeliveryStatus
from imageapi.domain.webhooks.service import DELIVERY_PREFIX

if TYPE_CHECKING:  # boto3 stubs are not needed at run time
    from mypy_boto3_dynamodb import DynamoDBClient

KEPT_ATTEMPTS = 24  # the log keeps each delivery's latest attempts (three full schedules)
_LIST_FIELDS = (
    "pk, sk, event_id, event_type, created_at, #status, attempts, tries, generation, next_attempt_at, failure_reason"
)


def delivery_pk(owner: str, endpoint_id: str) -> str:
    return f"{owner_pk(owner)}#WH#{endpoint_id}"


def _key(owner: str, endpoint_id: str, delivery_id: str) -> dict[str, Any]:
    return {"pk": _s(delivery_pk(owner, endpoint_id)), "sk": _s(delivery_id)}


def _time(value: dict[str, str]) -> datetime:
    return datetime.fromtimestamp(int(value["N"]) / 1000, UTC)


def _attempt_item(attempt: Attempt) -> dict[str, Any]:
    item: dict[str, Any] = {
        "at": _n(epoch_ms(attempt.at)),
        "latency_ms": _n(attempt.latency_ms),
        "response": _s(attempt.response),
    }
    if attempt.status_code is not None:
        item["status_code"] = _n(attempt.status_code)
    if attempt.error:
        item["error"] = _s(attempt.error)
    return {"M": item}


def _attempt(item: dict[str, Any]) -> Attempt:
    fields = item["M"]
    return Attempt(
        at=_time(fields["at"]),
        latency_ms=int(fields["latency_ms"]["N"]),
        status_code=int(fields["status_code"]["N"]) if "status_code" in fields else None,
        response=fields.get("response", {}).get("S", ""),
        error=fields.get("error", {}).get("S"),
    )


def _delivery(owner: str, endpoint_id: str, item: dict[str, Any]) -> Delivery:
    return Delivery(
        id=item["sk"]["S"],
        owner=owner,
        endpoint_id=endpoint_id,
        event_id=item["event_id"]["S"],
        event_type=item["event_type"]["S"],
        body=item.get("body", {}).get("S", ""),
        created_at=_time(item["created_at"]),
        status=DeliveryStatus(item["status"]["S"]),
        attempts=tuple(_attempt(a) for a in item.get("attempts", {}).get("L", [])),
        tries=int(item["tries"]["N"]),
        generation=int(item["generation"]["N"]),
        next_attempt_at=_time(item["next_attempt_at"]) if "next_attempt_at" in item else None,
        failure_reason=item.get("failure_reason", {}).get("S"),
    )


class DynamoDeliveries:
    def __init__(self, client: DynamoDBClient, table: str, cursors: CursorCodec, retention_days: int) -> None:
        self._db = client
        self._table = table
        self._cursors = cursors
        self._retention = timedelta(days=retention_days)

    def create(self, delivery: Delivery) -> bool:
        item: dict[str, Any] = {
            **_key(delivery.owner, delivery.endpoint_id, delivery.id),
            "event_id": _s(delivery.event_id),
            "event_type": _s(delivery.event_type),
            "body": _s(delivery.body),
            "created_at": _n(epoch_ms(delivery.created_at)),
            "status": _s(delivery.status.value),
            "attempts": {"L": []},
            "tries": _n(0),
            "generation": _n(delivery.generation),
            "expires_at": _n(int((delivery.created_at + self._retention).timestamp())),
        }
        if delivery.next_attempt_at:
            item["next_attempt_at"] = _n(epoch_ms(delivery.next_attempt_at))
        try:
            self._db.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get(self, owner: str, endpoint_id: str, delivery_id: str) -> Delivery | None:
        found = self._db.get_item(TableName=self._table, Key=_key(owner, endpoint_id, delivery_id), ConsistentRead=True)
        return _delivery(owner, endpoint_id, found["Item"]) if "Item" in found else None

    def page(
        self, owner: str, endpoint_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[Delivery], str | None]:
        scope = f"{owner}\0{endpoint_id}\0deliveries"
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": _s(delivery_pk(owner, endpoint_id))},
            "ExpressionAttributeNames": {"#status": "status"},
            "ProjectionExpression": _LIST_FIELDS,  # not the bodies
            "ScanIndexForward": False,
            "Limit": limit + 1,
        }
        if cursor:
            after = self._cursors.decode(cursor, scope)["after"]
            request["ExclusiveStartKey"] = _key(owner, endpoint_id, str(after))
        items = [_delivery(owner, endpoint_id, item) for item in self._db.query(**request)["Items"]]
        page = items[:limit]
        more = len(items) > limit and bool(page)
        return page, self._cursors.encode({"after": page[-1].id}, scope) if more else None

    def failed_since(self, owner: str, endpoint_id: str, since: datetime) -> Iterator[Delivery]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk >= :from",
            "FilterExpression": "#status = :failed",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":pk": _s(delivery_pk(owner, endpoint_id)),
                ":from": _s(DELIVERY_PREFIX + ulid(epoch_ms(since), bytes(10))),
                ":failed": _s(DeliveryStatus.failed.value),
            },
            "ProjectionExpression": _LIST_FIELDS,
        }
        while True:
            page = self._db.query(**request)
            yield from (_delivery(owner, endpoint_id, item) for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def record(
        self,
        delivery: Delivery,
        attempt: Attempt | None,
        *,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
        failure_reason: str | None = None,
    ) -> bool:
        attempts = [*delivery.attempts, attempt] if attempt else list(delivery.attempts)
        sets = ["#status = :status", "attempts = :attempts", "tries = :tries"]
        values: dict[str, Any] = {
            ":status": _s(status.value),
            ":attempts": {"L": [_attempt_item(a) for a in attempts[-KEPT_ATTEMPTS:]]},
            ":tries": _n(delivery.tries + (1 if attempt else 0)),
            ":read_tries": _n(delivery.tries),
            ":generation": _n(delivery.generation),
            ":pending": _s(DeliveryStatus.pending.value),
        }
        removes = []
        if next_attempt_at is None:
            removes.append("next_attempt_at")
        else:
            sets.append("next_attempt_at = :next")
            values[":next"] = _n(epoch_ms(next_attempt_at))
        if failure_reason is None:
            removes.append("failure_reason")
        else:
            sets.append("failure_reason = :reason")
            values[":reason"] = _s(failure_reason)
        try:
            self._db.update_item(
                TableName=self._table,
                Key=_key(delivery.owner, delivery.endpoint_id, delivery.id),
                UpdateExpression=f"SET {', '.join(sets)} REMOVE {', '.join(removes)}"
                if removes
                else f"SET {', '.join(sets)}",
                ConditionExpression="generation = :generation AND tries = :read_tries AND #status = :pending",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def restart(self, delivery: Delivery, at: datetime) -> Delivery | None:
        try:
            updated = self._db.update_item(
                TableName=self._table,
                Key=_key(delivery.owner, delivery.endpoint_id, delivery.id),
                UpdateExpression=(
                    "SET #status = :pending, tries = :zero, next_attempt_at = :now, expires_at = :expires "
                    "ADD generation :one REMOVE failure_reason"
                ),
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":pending": _s(DeliveryStatus.pending.value),
                    ":zero": _n(0),
                    ":one": _n(1),
                    ":now": _n(epoch_ms(at)),
                    ":expires": _n(int((at + self._retention).timestamp())),
                },
                ReturnValues="ALL_NEW",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return None
        return _delivery(delivery.owner, delivery.endpoint_id, updated["Attributes"])
