"""Duplicate detection: a marker item per owner and SHA-256 that points at the ready image with
those bytes, written and removed in the image's own transactions."""

from typing import TYPE_CHECKING

from imageapi.adapters.dynamodb.items import _s, sha256_key
from imageapi.domain.models import ImageRecord

if TYPE_CHECKING:  # boto3 stubs are not needed at run time
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


def put_marker(table: str, record: ImageRecord) -> "TransactWriteItemTypeDef":
    assert record.sha256
    return {"Put": {"TableName": table, "Item": {**sha256_key(record.owner, record.sha256), "image_id": _s(record.id)}}}


def delete_marker(table: str, record: ImageRecord) -> "TransactWriteItemTypeDef":
    """Only when it still points at this image: a newer copy of the same bytes keeps its marker."""
    assert record.sha256
    return {
        "Delete": {
            "TableName": table,
            "Key": sha256_key(record.owner, record.sha256),
            "ConditionExpression": "attribute_not_exists(pk) OR image_id = :id",
            "ExpressionAttributeValues": {":id": _s(record.id)},
        }
    }
