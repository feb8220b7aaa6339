"""Quota counters: one item per owner, moved inside the same transaction as the state change
it belongs to, so a redelivered event or a concurrent request never counts twice."""

from typing import TYPE_CHECKING

from imageapi.adapters.dynamodb.items import _n, quota_key
from imageapi.domain.models import ImageRecord
from imageapi.domain.ports import Quota

if TYPE_CHECKING:  # boto3 stubs are not needed at run time
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


def reserve(table: str, record: ImageRecord, quota: Quota) -> "TransactWriteItemTypeDef":
    """The transaction item that reserves one image and its declared bytes, within the quota."""
    return {
        "Update": {
            "TableName": table,
            "Key": quota_key(record.owner),
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
    }


def adjust(table: str, owner: str, *, images: int, bytes_: int) -> "TransactWriteItemTypeDef":
    """The transaction item that moves the counters by these deltas."""
    return {
        "Update": {
            "TableName": table,
            "Key": quota_key(owner),
            "UpdateExpression": "ADD images :images, bytes :bytes",
            "ExpressionAttributeValues": {":images": _n(images), ":bytes": _n(bytes_)},
        }
    }
