"""4. Read cost: DynamoDB ScannedCount and consumed capacity per list page, title search and get,
with 10 000 images for one owner, on moto.

Loading: moto's ThreadedMotoServer runs in this process; the table comes from template.yaml via
``local.aws.create_resources``. Items are built by the repository itself: image items with
``DynamoImageRepository._image_item`` (the item a ready image has), trigram items by calling the
repository's own ``_write_grams`` against a recording client; they are then stored with moto's
backend directly (the same item dicts, 10x faster than 5 000 batch writes over HTTP). Reads go
over HTTP through the repository, exactly as the functions do.

Measuring: botocore event hooks on the repository's client add ReturnConsumedCapacity=TOTAL to
every read and sum ScannedCount per call. moto answers a constant capacity, so the figure
reported is computed the way DynamoDB bills reads: per request, the size of every item
*evaluated* (scanned, before filters and projections) rounded up to 4 KB, x 0.5 for eventually
consistent reads (per item for BatchGetItem). Evaluated items are re-read, unfiltered, by a
shadow query with the same key condition, start key and ScannedCount as limit.
"""

from __future__ import annotations

import logging
import math
import os
import random
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import CORE, ROOT, Row

N_IMAGES = 10_000
OWNER = "bench-owner"
WORDS = [
    "sunset",
    "beach",
    "mountain",
    "portrait",
    "city",
    "forest",
    "river",
    "street",
    "garden",
    "market",
    "winter",
    "summer",
    "night",
    "harbour",
    "bridge",
    "desert",
    "snow",
    "lake",
    "family",
    "concert",
]
RARE = "zanzibar"  # in exactly 15 titles


def _item_size(item: dict[str, Any]) -> int:
    def value(v: dict[str, Any]) -> int:
        ((kind, x),) = v.items()
        if kind == "S":
            return len(x.encode())
        if kind == "N":
            return math.ceil(len(x.lstrip("-").replace(".", "")) / 2) + 1
        if kind == "B":
            return len(x)
        if kind in ("SS", "NS", "BS"):
            return sum(value({kind[0]: e}) for e in x)
        if kind in ("BOOL", "NULL"):
            return 1
        if kind == "M":
            return 3 + sum(len(k.encode()) + value(e) for k, e in x.items())
        if kind == "L":
            return 3 + sum(value(e) for e in x)
        return 0

    return sum(len(k.encode()) + value(v) for k, v in item.items())


class Meter:
    """Counts every DynamoDB read the repository makes."""

    def __init__(self, client: Any, shadow: Any) -> None:
        self.shadow = shadow
        self.reset()
        client.meta.events.register("provide-client-params.dynamodb.*", self._params)
        client.meta.events.register("after-call.dynamodb.*", self._after)

    def reset(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def _params(self, params: dict[str, Any], **_: Any) -> None:
        params.setdefault("ReturnConsumedCapacity", "TOTAL")
        self._last = dict(params)

    def _after(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        op, req = model.name, self._last
        if op == "Query":
            scanned = parsed.get("ScannedCount", 0)
            evaluated = self._evaluated(req, scanned)
            rcu = math.ceil(sum(_item_size(i) for i in evaluated) / 4096) * (1 if req.get("ConsistentRead") else 0.5)
            rcu = max(rcu, 0.5)
        elif op == "GetItem":
            item = parsed.get("Item")
            scanned = 1 if item else 0
            rcu = max(1, math.ceil(_item_size(item or {}) / 4096)) * (1 if req.get("ConsistentRead") else 0.5)
        elif op == "BatchGetItem":
            items = [i for items in parsed.get("Responses", {}).values() for i in items]
            scanned = len(items)
            rcu = sum(max(1, math.ceil(_item_size(i) / 4096)) * 0.5 for i in items)
        else:
            return
        self.calls.append({"op": op, "scanned": scanned, "rcu": rcu, "moto_capacity": parsed.get("ConsumedCapacity")})

    def _evaluated(self, req: dict[str, Any], scanned: int) -> list[dict[str, Any]]:
        if not scanned:
            return []
        shadow = {
            k: v
            for k, v in req.items()
            if k in ("TableName", "IndexName", "KeyConditionExpression", "ExclusiveStartKey", "ScanIndexForward")
        }
        names = {
            k: v
            for k, v in (req.get("ExpressionAttributeNames") or {}).items()
            if k in shadow["KeyConditionExpression"]
        }
        values = {k: v for k, v in req["ExpressionAttributeValues"].items() if k in shadow["KeyConditionExpression"]}
        if names:
            shadow["ExpressionAttributeNames"] = names
        shadow["ExpressionAttributeValues"] = values
        return self.shadow.query(Limit=scanned, **shadow)["Items"]

    def totals(self) -> dict[str, Any]:
        return {
            "calls": len(self.calls),
            "scanned": sum(c["scanned"] for c in self.calls),
            "rcu": sum(c["rcu"] for c in self.calls),
            "ops": [c["op"] for c in self.calls],
        }


def _titles(rng: random.Random) -> list[str]:
    titles = []
    rare_at = set(rng.sample(range(N_IMAGES), 15))
    for i in range(N_IMAGES):
        words = rng.sample(WORDS, 2)
        if i in rare_at:
            words.append(RARE)
        titles.append(f"{words[0].title()} {' '.join(words[1:])} {i:05d}")
    return titles


def run() -> tuple[list[Row], dict[str, Any]]:
    sys.path[:0] = [str(CORE), str(ROOT)]
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(name, value)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    import boto3
    from moto.server import ThreadedMotoServer

    from bench.common import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        return _measure(endpoint, boto3)
    finally:
        server.stop()


def _measure(endpoint: str, boto3: Any) -> tuple[list[Row], dict[str, Any]]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from imageapi.adapters.dynamodb import DynamoImageRepository
    from imageapi.adapters.dynamodb.items import GRAM_COUNT_SK, image_item
    from imageapi.domain.cursors import CursorCodec
    from imageapi.domain.models import ImageRecord, ImageStatus
    from local.aws import create_resources

    template = create_resources(endpoint)
    table = template.environment["TABLE_NAME"]
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    shadow = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    repo = DynamoImageRepository(client, table, CursorCodec("bench-cursor-secret-0123456789"))

    # A realistic ready record (real analysis and renditions) to clone: ~the size of production items.
    from bench import images as bench_images
    from imageapi.adapters.pixels import process as imaging

    processed = imaging.process_upload(bench_images.ensure("jpeg_4000x3000").read_bytes(), max_pixels=50_000_000)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    from imageapi.domain.ids import new_image_id
    from imageapi.domain.models import Dimensions, Rendition

    renditions = {
        name: Rendition(
            key=f"renditions/x/{name}", content_type=r.content_type, width=r.width, height=r.height, bytes=len(r.data)
        )
        for name, r in processed.renditions.items()
    }

    class Recorder:  # stands in for the DynamoDB client to capture the repository's own writes
        def __init__(self) -> None:
            self.items: list[dict[str, Any]] = []
            self.counts: dict[str, int] = {}  # trigram partition -> count item value

        def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
            for request in RequestItems[table]:
                self.items.append(request["PutRequest"]["Item"])
            return {}

        def update_item(self, **update: Any) -> dict[str, Any]:  # the repository's "ADD images :delta"
            pk = update["Key"]["pk"]["S"]
            self.counts[pk] = self.counts.get(pk, 0) + int(update["ExpressionAttributeValues"][":delta"]["N"])
            return {"Attributes": {"images": {"N": str(self.counts[pk])}}}

    recorder = Recorder()
    writer = DynamoImageRepository(recorder, table, CursorCodec("bench-cursor-secret-0123456789"))  # type: ignore[arg-type]
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    rng = random.Random(42)
    titles = _titles(rng)
    ids = []
    for i, title in enumerate(titles):
        created = now + timedelta(seconds=i)
        image_id = new_image_id(int(created.timestamp() * 1000))
        ids.append(image_id)
        record = ImageRecord(
            id=image_id,
            owner=OWNER,
            title=title,
            status=ImageStatus.ready,
            content_type="image/jpeg",
            declared_bytes=3_000_000,
            sha256=f"{i:064x}",
            created_at=created,
            updated_at=created,
            original=Dimensions(width=4000, height=3000, bytes=3_000_000),
            renditions=renditions,
            analysis=processed.analysis,
        )
        backend.put_item(table, image_item(record))
        writer._write_grams(OWNER, image_id, title, add=_grams(title))
    for item in recorder.items:
        backend.put_item(table, item)
    for pk, count in recorder.counts.items():
        backend.put_item(table, {"pk": {"S": pk}, "sk": {"S": GRAM_COUNT_SK}, "images": {"N": str(count)}})
    gram_items = len(recorder.items)
    print(f"  read cost: loaded {N_IMAGES} images + {gram_items} trigram items", flush=True)

    # moto's Query walks and sorts the whole table on every call (O(table), ~177 000 items here),
    # which would make this section take many minutes. Nothing is written from here on, so the
    # sorted list is memoised: that changes how fast moto answers, never what it answers.
    from moto.dynamodb.models.table import Table

    original_all_items = Table.all_items
    memo: dict[int, Any] = {}

    def all_items(self: Any) -> Any:
        if id(self) not in memo:
            memo[id(self)] = original_all_items(self)
        return memo[id(self)]

    Table.all_items = all_items  # type: ignore[method-assign]
    try:
        return _reads(client, shadow, repo, writer, record, titles, ids, gram_items)
    finally:
        Table.all_items = original_all_items  # type: ignore[method-assign]


def _reads(
    client: Any, shadow: Any, repo: Any, writer: Any, record: Any, titles: list[str], ids: list[str], gram_items: int
) -> tuple[list[Row], dict[str, Any]]:
    from imageapi.adapters.dynamodb.items import image_item
    from imageapi.domain.models import ImageStatus

    meter = Meter(client, shadow)
    rows: list[Row] = []
    details: dict[str, Any] = {
        "images": N_IMAGES,
        "gram_items": gram_items,
        "item_bytes": _item_size(image_item(record)),
    }

    def measure(label: str, fn: Any) -> dict[str, Any]:
        meter.reset()
        result = fn()
        t = meter.totals()
        t["result"] = result
        details[label] = t
        return t

    # list pages
    for limit in (20, 100):
        cursor = None
        for page in (1, 2, 3):
            t = measure(
                f"list limit={limit} page {page}",
                lambda cursor=cursor, limit=limit: repo.list_page(
                    OWNER, limit=limit, cursor=cursor, status=None, query=None
                ),
            )
            p = t["result"]
            t["returned"], t["page_scanned"] = len(p.records), p.scanned
            cursor = p.next_cursor
            if page in (1, 3):
                rows.append(
                    Row(
                        "4 read cost",
                        f"list limit={limit}, page {page}: ScannedCount | RCU",
                        f"{p.scanned} | {t['rcu']:g}",
                        "",
                        f"scanned <= {limit + 1}",
                        p.scanned <= limit + 1,
                    )
                )
            t.pop("result")
    # by status (GSI)
    t = measure(
        "list status=ready", lambda: repo.list_page(OWNER, limit=20, cursor=None, status=ImageStatus.ready, query=None)
    )
    rows.append(
        Row(
            "4 read cost",
            "list status=ready limit=20: ScannedCount | RCU",
            f"{t['result'].scanned} | {t['rcu']:g}",
            "",
            "scanned <= 21",
            t["result"].scanned <= 21,
        )
    )
    t.pop("result")

    # searches: count matches by brute force for the target
    def matches(q: str) -> int:
        return sum(1 for title in titles if q.casefold() in " ".join(title.casefold().split()))

    # 1-2 character queries are below the trigram index: a filtered scan of the owner's list that
    # stops after SHORT_QUERY_SCAN_PAGES pages' worth of reads with a short page and a cursor.
    for q in (RARE, "sunset", "mountain river", "00042", "no such title", "su", "qz"):
        t = measure(f"search q={q!r}", lambda q=q: repo.list_page(OWNER, limit=20, cursor=None, status=None, query=q))
        p = t["result"]
        on_page = len(p.records)
        total = matches(q)
        bound = 3 * on_page + 21
        rows.append(
            Row(
                "4 read cost",
                f"search q={q!r} ({total} match, {on_page} on page): ScannedCount | RCU",
                f"{p.scanned} | {t['rcu']:g}",
                "",
                f"scanned <= 3x{on_page}+21 = {bound}",
                p.scanned <= bound,
            )
        )
        t.update(matches=total, on_page=on_page, page_scanned=p.scanned)
        t.pop("result")
    # get
    t = measure("get", lambda: repo.get(OWNER, ids[len(ids) // 2]))
    rows.append(
        Row(
            "4 read cost",
            "get one image: items read | RCU (strongly consistent)",
            f"{t['scanned']} | {t['rcu']:g}",
            "",
            "1 item",
            t["scanned"] == 1,
        )
    )
    t.pop("result")
    return rows, details


def _grams(title: str) -> set[str]:
    from imageapi.domain.search import trigrams

    return trigrams(title)
