"""8. The local stack at scale: POST /images (presigned create), GET /images (first page, and the
status index), GET /images/{id} and title search, p50 through the local gateway with one owner
holding 1,000 and then 10,000 images (plus a few other owners), and the number of 5xx answers.

Seeding runs the repository's bulk loader (``bulk_load``: the image items, the title index and
its counts, exactly the items the product writes) against the local endpoint's DynamoDB backend
in this process: its BatchWriteItem and ADD requests are applied by moto directly instead of over
HTTP (about 5,000 batch requests for 10,000 images), so seeding takes seconds, not minutes.
Requests are sequential (latency, not throughput; the e2e section measures load).
"""

from __future__ import annotations

import random
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

from bench.common import ROOT, Row

TARGET_MS = 100.0
OWNER = "scale-owner"
OTHERS = ("scale-other-1", "scale-other-2", "scale-other-3")
OTHER_IMAGES = 300
WORDS = ["harbour", "sunset", "portrait", "street", "forest", "mountain", "beach", "market", "bridge", "river"]


def _records(owner: str, start: int, count: int, rng: random.Random) -> list[Any]:
    from imageapi.domain.ids import new_image_id
    from imageapi.domain.models import ImageRecord, ImageStatus

    now = datetime.now(UTC)
    out = []
    for n in range(start, start + count):
        out.append(
            ImageRecord(
                id=new_image_id(1_700_000_000_000 + n),
                owner=owner,
                title=f"{rng.choice(WORDS)} {n:05d}" if n % 500 else f"zebra crossing {n:05d}",
                status=ImageStatus.ready if n % 3 else ImageStatus.pending,
                content_type="image/jpeg",
                declared_bytes=1000,
                created_at=now,
                updated_at=now,
            )
        )
    return out


class _Direct:
    """Stands in for the DynamoDB client while seeding: the repository's own BatchWriteItem and
    UpdateItem requests, applied by the local endpoint's moto backend in this process."""

    def __init__(self, table: str) -> None:
        from moto.dynamodb.models import dynamodb_backends

        from local import ACCOUNT_ID, REGION

        self._backend = dynamodb_backends[ACCOUNT_ID][REGION]
        self._table = table
        self._lock = threading.Lock()  # the loader counts on 8 threads; moto is not thread-safe

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            for request in RequestItems[self._table]:
                if "PutRequest" in request:
                    self._backend.put_item(self._table, request["PutRequest"]["Item"])
                else:
                    self._backend.delete_item(self._table, request["DeleteRequest"]["Key"])
        return {}

    def update_item(self, **update: Any) -> dict[str, Any]:
        with self._lock:
            item = self._backend.update_item(
                update["TableName"],
                update["Key"],
                update["UpdateExpression"],
                update.get("ExpressionAttributeNames", {}),
                update.get("ExpressionAttributeValues", {}),
            )
        return {"Attributes": {name: value.to_json() for name, value in item.attrs.items() if name == "images"}}


def _seed(repo: Any, records: list[Any]) -> float:
    t0 = time.perf_counter()
    repo.bulk_load(records)
    return time.perf_counter() - t0


def _p50(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] * 1000 if ordered else float("nan")


def _measure(api: Any, base: str, ids: list[str], samples: int, rng: random.Random) -> dict[str, Any]:
    """p50 per operation, sequential requests; statuses counted for the 5xx check."""
    statuses: dict[str, int] = {}
    timings: dict[str, list[float]] = {k: [] for k in ("create", "list", "list_ready", "get", "search", "search_rare")}

    def timed(name: str, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        response = api.request(method, base + path, timeout=60, **kwargs)
        timings[name].append(time.perf_counter() - t0)
        statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path} answered {response.status_code}: {response.text[:300]}")
        return response

    for i in range(samples):
        body = {"title": f"scale create {i}", "content_type": "image/jpeg", "size": 1234}
        timed("create", "POST", "/images", 201, json=body)
        page = timed("list", "GET", "/images?limit=20", 200).json()
        assert len(page["items"]) == 20, page
        timed("list_ready", "GET", "/images?limit=20&status=ready", 200)
        timed("get", "GET", f"/images/{rng.choice(ids)}", 200)
        found = timed("search", "GET", f"/images?limit=20&q={rng.choice(WORDS)}", 200).json()
        assert found["items"], found
        timed("search_rare", "GET", "/images?limit=20&q=zebra", 200)
    return {
        "p50_ms": {k: round(_p50(v), 1) for k, v in timings.items()},
        "max_ms": {k: round(max(v) * 1000, 1) for k, v in timings.items()},
        "statuses": statuses,
    }


def run(sizes: tuple[int, ...] = (1_000, 10_000), samples: int = 30) -> tuple[list[Row], dict[str, Any]]:
    sys.path.insert(0, str(ROOT))
    import logging

    import requests

    from local.stack import LocalStack

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    rng = random.Random(15)
    details: dict[str, Any] = {"samples": samples, "others": {o: OTHER_IMAGES for o in OTHERS}}
    rows: list[Row] = []
    with LocalStack(state_dir=ROOT / "bench" / ".work" / "local", pollers=False, name_prefix="bench-scale") as stack:
        import os

        from imageapi.adapters.dynamodb import DynamoImageRepository
        from imageapi.context import dynamodb_client
        from imageapi.domain.cursors import CursorCodec

        table = os.environ["TABLE_NAME"]
        seeder = DynamoImageRepository(_Direct(table), table, CursorCodec("bench-scale-seed"))  # type: ignore[arg-type]
        reader = DynamoImageRepository(dynamodb_client(), table, CursorCodec("bench-scale-seed"))
        seed_s = sum(_seed(seeder, _records(other, 0, OTHER_IMAGES, rng)) for other in OTHERS)
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {stack.token(OWNER)}"
        held = 0
        ids: list[str] = []
        for size in sizes:
            records = _records(OWNER, held, size - held, rng)
            seconds = _seed(seeder, records)
            ids += [r.id for r in records]
            # What was seeded is what the API reads (over HTTP): the newest image, its trigram count.
            assert reader.get(OWNER, records[-1].id) == records[-1]
            held = size
            result = _measure(api, stack.api_url, ids, samples, rng)
            result["seed_s"] = round(seconds, 1)
            result["seed_images"] = len(records)
            details[str(size)] = result
            five = sum(n for code, n in result["statuses"].items() if code.startswith("5"))
            labels = {
                "create": "POST /images (presigned create)",
                "list": "GET /images?limit=20",
                "list_ready": "GET /images?limit=20&status=ready",
                "get": "GET /images/{id}",
                "search": "GET /images?q=<common word>",
                "search_rare": "GET /images?q=zebra (rare)",
            }
            for key, label in labels.items():
                p50 = result["p50_ms"][key]
                rows.append(
                    Row(
                        "8 scale",
                        f"{size:,} images: {label} p50",
                        p50,
                        "ms",
                        f"<= {TARGET_MS:.0f} ms",
                        p50 <= TARGET_MS,
                        note=f"max {result['max_ms'][key]:.0f} ms",
                    )
                )
            rows.append(Row("8 scale", f"{size:,} images: 5xx answers", five, "", "0", five == 0))
            rows.append(
                Row(
                    "8 scale",
                    f"{size:,} images: seeding {len(records):,} images (bulk loader)",
                    round(seconds, 1),
                    "s",
                    "report",
                )
            )
        details["seed_others_s"] = round(seed_s, 1)
    return rows, details
