"""Keep the local stack's data across restarts (the container's named volume): moto holds
everything in memory, so the stack writes the bucket's objects and the table's items to a
directory when it stops and puts them back when it starts. Queue messages are not kept: a
message in flight at shutdown is redelivered by S3 notification when its object is restored.

Opt-in with LOCAL_PERSIST_STATE=true (the Dockerfile sets it); `make dev` starts empty.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..template import LocalTemplate
from .clients import client

log = logging.getLogger("local.aws.snapshot")
SAVE_THREADS = 4  # moto answers on threads; a few reads in flight hide each one's latency


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


def _blob_name(bucket: str, entry: dict[str, Any]) -> str:
    """A blob's file name from what identifies one version of an object: the same name in the
    previous snapshot means the same bytes and metadata (a rewrite changes LastModified)."""
    identity = f"{bucket}\0{entry['Key']}\0{entry['ETag']}\0{entry['LastModified'].isoformat()}"
    return hashlib.sha256(identity.encode()).hexdigest()[:40] + ".bin"


def save(endpoint_url: str, template: LocalTemplate, directory: Path) -> None:
    """Write the bucket's objects and the table's items to ``directory`` (atomically: a save cut
    short leaves the previous snapshot). Fast enough for `docker compose stop` (SIGKILL after
    10 s; bench/snapshot.py measures it): an object unchanged since the previous snapshot is
    hard-linked from it, not read again, and the others are read on a few threads."""
    partial = directory.with_name(directory.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    s3, ddb = client("s3", endpoint_url), client("dynamodb", endpoint_url)
    previous = _previous_objects(directory)
    objects: list[dict[str, Any]] = []
    fetch: list[tuple[str, str, Path]] = []
    for bucket in template.buckets.values():
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket.name):
            for entry in page.get("Contents", []):
                blob = _blob_name(bucket.name, entry)
                kept = previous.get(blob)
                if kept is not None and _link(directory / blob, partial / blob):
                    objects.append(kept)
                    continue
                objects.append({"bucket": bucket.name, "key": entry["Key"], "blob": blob})
                fetch.append((bucket.name, entry["Key"], partial / blob))

    def read(job: tuple[str, str, Path]) -> dict[str, Any]:
        bucket_name, key, path = job
        got = s3.get_object(Bucket=bucket_name, Key=key)
        path.write_bytes(got["Body"].read())
        return {"content_type": got.get("ContentType"), "metadata": got.get("Metadata") or {}}

    by_blob = {obj["blob"]: obj for obj in objects if "metadata" not in obj}
    with ThreadPoolExecutor(max_workers=SAVE_THREADS) as pool:
        for job, details in zip(fetch, pool.map(read, fetch), strict=True):
            by_blob[job[2].name].update(details)
    items: dict[str, list[Any]] = {}
    for table in template.tables.values():
        items[table.name] = []
        for page in ddb.get_paginator("scan").paginate(TableName=table.name):
            items[table.name].extend(_encode(page.get("Items", [])))
    (partial / "state.json").write_text(json.dumps({"objects": objects, "items": items}))
    shutil.rmtree(directory, ignore_errors=True)
    partial.rename(directory)
    log.info(
        "saved %d objects (%d read, %d unchanged) and %d items to %s",
        len(objects),
        len(fetch),
        len(objects) - len(fetch),
        sum(map(len, items.values())),
        directory,
    )


def _previous_objects(directory: Path) -> dict[str, dict[str, Any]]:
    try:
        state = json.loads((directory / "state.json").read_text())
    except (OSError, ValueError):
        return {}
    return {obj["blob"]: obj for obj in state.get("objects", []) if "metadata" in obj}


def _link(source: Path, target: Path) -> bool:
    try:
        os.link(source, target)
    except OSError:
        return False
    return True


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
