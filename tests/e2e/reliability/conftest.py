"""Helpers for the reliability suite. Each module starts its own local stack (module scope: the
stacks of one pytest process share os.environ and the handlers' module state, so only one
should serve at a time)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote_plus

from tests.harness.handlers import FakeContext as SupportContext
from tests.harness.handlers import load_handler

ROOT = Path(__file__).resolve().parents[3]
EVENTS = ROOT / "events"


class FakeContext(SupportContext):
    def __init__(self) -> None:
        super().__init__("IngestFunction", memory_mb=1024, timeout_ms=60_000)


_containers = 0


def ingest_container() -> ModuleType:
    """A fresh instance of functions/ingest/app.py: what one Lambda container holds (its own
    batch processor and cached ingestor), so several can run at once as Lambda would."""
    global _containers
    _containers += 1
    return load_handler("ingest", f"_reliability_ingest_{_containers}")


def s3_event_body(bucket: str, key: str) -> str:
    """The S3 ObjectCreated event (as SQS carries it) for ``key``, URL-encoded as S3 does."""
    event = json.loads((EVENTS / "ingest_s3_via_sqs.json").read_text())
    s3_event = json.loads(event["Records"][0]["body"])
    s3_event["Records"][0]["s3"]["object"]["key"] = quote_plus(key, safe="/")
    s3_event["Records"][0]["s3"]["bucket"]["name"] = bucket
    return json.dumps(s3_event)


def sqs_event(*bodies: str) -> dict[str, Any]:
    template = json.loads((EVENTS / "ingest_s3_via_sqs.json").read_text())["Records"][0]
    records = []
    for i, body in enumerate(bodies):
        record = copy.deepcopy(template)
        record["body"] = body
        record["messageId"] = f"m-{i}"
        records.append(record)
    return {"Records": records}
