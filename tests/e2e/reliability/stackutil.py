"""Reading the local stack's state straight from its AWS endpoint (S3 objects, DynamoDB items,
queue depths), so tests check effects, not just API answers."""

from __future__ import annotations

import time
from typing import Any


class StackState:
    def __init__(self, stack: Any) -> None:
        from local.aws import client

        self.stack = stack
        self.s3 = client("s3", stack.aws_url)
        self.ddb = client("dynamodb", stack.aws_url)
        self.sqs = client("sqs", stack.aws_url)
        self.bucket = next(iter(stack.template.buckets.values())).name
        self.table = next(iter(stack.template.tables.values())).name

    def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            found.extend(o["Key"] for o in page.get("Contents", []))
        return sorted(found)

    def image_keys(self, owner: str, image_id: str) -> dict[str, list[str]]:
        from imageapi.domain import keys

        return {p.split("/", 1)[0]: self.keys(p) for p in keys.image_prefixes(owner, image_id)}

    def quota(self, owner: str) -> tuple[int, int]:
        item = self.ddb.get_item(
            TableName=self.table, Key={"pk": {"S": f"OWNER#{owner}"}, "sk": {"S": "QUOTA"}}, ConsistentRead=True
        ).get("Item", {})
        return int(item.get("images", {}).get("N", "0")), int(item.get("bytes", {}).get("N", "0"))

    def owner_items(self, owner: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"OWNER#{owner}"}},
            "ConsistentRead": True,
        }
        while True:
            page = self.ddb.query(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def images(self, owner: str) -> list[dict[str, Any]]:
        return [i for i in self.owner_items(owner) if i["sk"]["S"].startswith("IMAGE#")]

    def queue_url(self, dead_letter: bool) -> str:
        queues = self.stack.template.queues
        dlq_ids = {q.dlq_id for q in queues.values() if q.dlq_id}
        for spec in queues.values():
            if (spec.logical_id in dlq_ids) == dead_letter and (dead_letter or spec.dlq_id):
                return self.stack.template.queue_url(spec.logical_id)
        raise LookupError("no such queue")

    def depth(self, url: str) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def wait(self, predicate: Any, timeout: float = 60, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.25)
