"""Stored model results: one item per image, task and model version (SPEC §3.7)."""

import contextlib
from typing import Any

from imageapi.adapters.dynamodb.base import Table
from imageapi.adapters.dynamodb.items import _s, owner_pk


class PredictionStore(Table):
    def _prediction_key(self, owner: str, image_id: str, task: str, version: str) -> dict[str, Any]:
        return {"pk": _s(owner_pk(owner)), "sk": _s(f"PRED#{image_id}#{task}#{version}")}

    def get_prediction(self, owner: str, image_id: str, task: str, version: str) -> str | None:
        """A stored result (JSON) for this image, task and model version, if any."""
        item = self._db.get_item(TableName=self._table, Key=self._prediction_key(owner, image_id, task, version))
        return item["Item"]["doc"]["S"] if "Item" in item else None

    def put_prediction(self, owner: str, image_id: str, task: str, version: str, doc: str) -> None:
        # A concurrent request may have stored the same model's answer first: keep that one.
        with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.put_item(
                TableName=self._table,
                Item={**self._prediction_key(owner, image_id, task, version), "doc": _s(doc)},
                ConditionExpression="attribute_not_exists(pk)",
            )

    def _delete_predictions(self, owner: str, image_id: str) -> None:
        response = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": _s(owner_pk(owner)), ":prefix": _s(f"PRED#{image_id}#")},
            ProjectionExpression="pk, sk",
        )
        for item in response["Items"]:
            self._db.delete_item(TableName=self._table, Key={"pk": item["pk"], "sk": item["sk"]})
