"""Webhook endpoints in the images table (``EndpointStore`` of domain/webhooks/ports).

An endpoint is ``OWNER#{sub}`` / ``WEBHOOK#{id}``, beside the owner's images, so another owner's
id is simply absent. The owner's count of endpoints is ``OWNER#{sub}`` / ``WEBHOOKS``, moved in
the same transaction as the endpoint it counts, so the cap holds under concurrent creates. The
secret is stored sealed (KMS ciphertext, adapters/webhooks/secrets), never in plain text.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from imageapi.adapters.dynamodb.items import _n, _s, cancellation_reasons, epoch_ms, owner_pk
from imageapi.domain.errors import QuotaExceeded
from imageapi.domain.events import EventType
from imageapi.domain.webhooks.models import Endpoint

if TYPE_CHECKING:  # boto3 stubs are not needed at run time
    from mypy_boto3_dynamodb import DynamoDBClient

COUNT_SK = "WEBHOOKS"


def endpoint_key(owner: str, endpoint_id: str) -> dict[str, Any]:
    return {"pk": _s(owner_pk(owner)), "sk": _s(f"WEBHOOK#{endpoint_id}")}


def _time(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value["N"]) / 1000, UTC) if value else None


def _item(endpoint: Endpoint) -> dict[str, Any]:
    item: dict[str, Any] = {
        **endpoint_key(endpoint.owner, endpoint.id),
        "url": _s(endpoint.url),
        "events": {"L": [_s(e.value) for e in endpoint.events]},
        "enabled": {"BOOL": endpoint.enabled},
        "created_at": _n(epoch_ms(endpoint.created_at)),
        "updated_at": _n(epoch_ms(endpoint.updated_at)),
        "secret": {"B": endpoint.secret},
    }
    optional = {
        "description": _s(endpoint.description) if endpoint.description else None,
        "disabled_reason": _s(endpoint.disabled_reason) if endpoint.disabled_reason else None,
        "previous_secret": {"B": endpoint.previous_secret} if endpoint.previous_secret else None,
        "previous_expires_at": _n(epoch_ms(endpoint.previous_expires_at)) if endpoint.previous_expires_at else None,
        "rotated_at": _n(epoch_ms(endpoint.rotated_at)) if endpoint.rotated_at else None,
        "failing_since": _n(epoch_ms(endpoint.failing_since)) if endpoint.failing_since else None,
    }
    return item | {name: value for name, value in optional.items() if value is not None}


def _endpoint(owner: str, item: dict[str, Any]) -> Endpoint:
    created_at, updated_at = _time(item["created_at"]), _time(item["updated_at"])
    assert created_at and updated_at
    return Endpoint(
        id=item["sk"]["S"].removeprefix("WEBHOOK#"),
        owner=owner,
        url=item["url"]["S"],
        events=tuple(EventType(e["S"]) for e in item["events"]["L"]),
        enabled=item["enabled"]["BOOL"],
        created_at=created_at,
        updated_at=updated_at,
        secret=bytes(item["secret"]["B"]),
        description=item.get("description", {}).get("S"),
        disabled_reason=item.get("disabled_reason", {}).get("S"),
        previous_secret=bytes(item["previous_secret"]["B"]) if "previous_secret" in item else None,
        previous_expires_at=_time(item.get("previous_expires_at")),
        rotated_at=_time(item.get("rotated_at")),
        failing_since=_time(item.get("failing_since")),
    )


class DynamoEndpoints:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def add(self, endpoint: Endpoint, *, cap: int) -> None:
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": _item(endpoint),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": {"pk": _s(owner_pk(endpoint.owner)), "sk": _s(COUNT_SK)},
                            "UpdateExpression": "ADD endpoints :one",
                            "ConditionExpression": "attribute_not_exists(endpoints) OR endpoints < :cap",
                            "ExpressionAttributeValues": {":one": _n(1), ":cap": _n(cap)},
                        }
                    },
                ]
            )
        except self._db.exceptions.TransactionCanceledException as error:
            if cancellation_reasons(error)[1:2] == ["ConditionalCheckFailed"]:
                raise QuotaExceeded(f"at most {cap} webhook endpoints per owner") from error
            raise

    def get(self, owner: str, endpoint_id: str) -> Endpoint | None:
        found = self._db.get_item(TableName=self._table, Key=endpoint_key(owner, endpoint_id), ConsistentRead=True)
        return _endpoint(owner, found["Item"]) if "Item" in found else None

    def list(self, owner: str) -> list[Endpoint]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": _s(owner_pk(owner)), ":prefix": _s("WEBHOOK#")},
        }
        endpoints: list[Endpoint] = []
        while True:
            page = self._db.query(**request)
            endpoints += [_endpoint(owner, item) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return endpoints
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def save(self, endpoint: Endpoint) -> bool:
        try:
            self._db.put_item(TableName=self._table, Item=_item(endpoint), ConditionExpression="attribute_exists(pk)")
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def remove(self, owner: str, endpoint_id: str) -> bool:
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": endpoint_key(owner, endpoint_id),
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": {"pk": _s(owner_pk(owner)), "sk": _s(COUNT_SK)},
                            "UpdateExpression": "ADD endpoints :minus",
                            "ExpressionAttributeValues": {":minus": _n(-1)},
                        }
                    },
                ]
            )
        except self._db.exceptions.TransactionCanceledException as error:
            if cancellation_reasons(error)[:1] == ["ConditionalCheckFailed"]:
                return False
            raise
        return True

    def note_failure(self, endpoint: Endpoint, at: datetime) -> datetime:
        try:
            updated = self._db.update_item(
                TableName=self._table,
                Key=endpoint_key(endpoint.owner, endpoint.id),
                UpdateExpression="SET failing_since = if_not_exists(failing_since, :now)",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":now": _n(epoch_ms(at))},
                ReturnValues="ALL_NEW",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return at  # deleted meanwhile
        return _time(updated["Attributes"]["failing_since"]) or at

    def note_success(self, endpoint: Endpoint) -> None:
        with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.update_item(
                TableName=self._table,
                Key=endpoint_key(endpoint.owner, endpoint.id),
                UpdateExpression="REMOVE failing_since",
                ConditionExpression="attribute_exists(pk)",
            )

    def disable(self, endpoint: Endpoint, reason: str, at: datetime) -> None:
        # Only an enabled endpoint: the first reason stays (the one that mattered).
        with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.update_item(
                TableName=self._table,
                Key=endpoint_key(endpoint.owner, endpoint.id),
                UpdateExpression="SET enabled = :off, disabled_reason = :reason, updated_at = :now",
                ConditionExpression="attribute_exists(pk) AND enabled = :on",
                ExpressionAttributeValues={
                    ":off": {"BOOL": False},
                    ":on": {"BOOL": True},
                    ":reason": _s(reason),
                    ":now": _n(epoch_ms(at)),
                },
            )
