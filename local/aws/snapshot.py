"""Keep the local stack's data across restarts (the container's named volume): moto holds
everything in memory, so the stack writes the bucket's objects and the table's items to a
directory when it stops and puts them back when it starts. Queue messages are not kept: a
message in flight at shutdown is redelivered by S3 notification when its object is restored.

Opt-in with LOCAL_PERSIST_STATE=true (the Dockerfile sets it); `make dev` starts empty.
"""

from __future__ import annotations

import base64
import json
import logging
import shutil
from pathlib import Path
from typing import Any

from ..template import LocalTemplate
from .clients import client

log = logging.getLogger("local.aws.snapshot")


def _encode(value: Any) -> Any:
    """DynamoDB's low-level JSON with binary values (bytes) as {"__b64__": "..."}."""
    if isinstance(value, bytes | bytearray):
        return {"__b64__": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__b64__"}:
            return base64.b64decode(value["__b64__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def save(endpoint_url: str, template: LocalTemplate, directory: Path) -> None:
    partial = directory.with_name(directory.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    s3, ddb = client("s3", endpoint_url), client("dynamodb", endpoint_url)
    objects: list[dict[str, Any]] = []
    for bucket in template.buckets.values():
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket.name):
            for entry in page.get("Contents", []):
                got = s3.get_object(Bucket=bucket.name, Key=entry["Key"])
                blob = f"{len(objects)}.bin"
                (partial / blob).write_bytes(got["Body"].read())
                objects.append(
                    {
                        "bucket": bucket.name,
                        "key": entry["Key"],
                        "blob": blob,
                        "content_type": got.get("ContentType"),
                        "metadata": got.get("Metadata") or {},
                    }
                )
    items: dict[str, list[Any]] = {}
    for table in template.tables.values():
        items[table.name] = []
        for page in ddb.get_paginator("scan").paginate(TableName=table.name):
            items[table.name].extend(_encode(page.get("Items", [])))
    (partial / "state.json").write_text(json.dumps({"objects": objects, "items": items}))
    shutil.rmtree(directory, ignore_errors=True)
    partial.rename(directory)
    log.info("saved %d objects and %d items to %s", len(objects), sum(map(len, items.values())), directory)


def restore(endpoint_url: str, directory: Path) -> None:
    state_file = directory / "state.json"
    if not state_file.is_file():
        return
    state = json.loads(state_file.read_text())
    s3, ddb = client("s3", endpoint_url), client("dynamodb", endpoint_url)
    # items first: an object under incoming/ notifies ingest, which reads its record
    for table, items in state["items"].items():
        for start in range(0, len(items), 25):
            batch = [{"PutRequest": {"Item": _decode(item)}} for item in items[start : start + 25]]
            ddb.batch_write_item(RequestItems={table: batch})
    for obj in state["objects"]:
        extra = {"ContentType": obj["content_type"]} if obj.get("content_type") else {}
        s3.put_object(
            Bucket=obj["bucket"],
            Key=obj["key"],
            Body=(directory / obj["blob"]).read_bytes(),
            Metadata=obj["metadata"],
            **extra,
        )
    log.info("restored %d objects from %s", len(state["objects"]), directory)
