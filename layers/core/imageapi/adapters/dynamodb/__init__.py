"""DynamoDB: one table, owner-scoped keys (see docs/architecture.md)."""

from imageapi.adapters.dynamodb.repository import DynamoImageRepository

__all__ = ["DynamoImageRepository"]
