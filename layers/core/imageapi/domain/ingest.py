"""The ingest use case (SPEC §4): claim an uploaded object, validate and analyse it (with
Pillow, behind the ``Processor`` port), write renditions, and move the record out of ``pending`` exactly once.

Order matters for retries: every write before the conditional state change is idempotent
(same keys, same bytes), and the incoming object is deleted only after the record moved on, so
a failure at any point leaves a state that a redelivery completes.

Where the time goes is logged with ``image ready`` (``timings_ms``: queue wait, download, each
processing step, writes, state change), for operators and for ``python -m bench --only e2e``.
"""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from typing import TypeVar

from aws_lambda_powertools import Logger

from imageapi.domain import keys
from imageapi.domain.errors import ImageRejected, PayloadTooLarge
from imageapi.domain.models import Dimensions, ImageRecord, ImageStatus, Rendition
from imageapi.domain.ports import ImageRepository, ObjectStore, ProcessedUpload, Processor
from imageapi.domain.renditions import store_rendition
from imageapi.domain.timing import Stopwatch
from imageapi.settings import Settings

logger = Logger(child=True)
T = TypeVar("T")


class Outcome(StrEnum):
    ready = "ready"
    rejected = "rejected"
    already_done = "already_done"
    orphan = "orphan"
    ignored = "ignored"


@dataclass
class Ingestor:
    repository: ImageRepository
    store: ObjectStore
    settings: Settings
    process: Processor  # validate, analyse, render: Pillow in production (adapters.pixels)

    def ingest(self, raw_key: str, *, queue_wait_ms: float | None = None) -> Outcome:
        """``queue_wait_ms``: how long the event waited in the queue (for the timing log only)."""
        sw = Stopwatch()
        if queue_wait_ms is not None:
            sw.add("queue_wait_ms", queue_wait_ms)
        target = keys.parse_incoming_key(raw_key)
        if target is None:
            logger.warning("ignoring object outside the incoming layout", extra={"key": raw_key})
            return Outcome.ignored
        incoming = keys.incoming_key(target.owner, target.image_id)
        record = self.repository.get(target.owner, target.image_id)
        sw.mark("read_record_ms")
        if record is None:
            # The record expired or was deleted: nothing will ever claim these bytes.
            self.store.delete(incoming)
            return Outcome.orphan
        if record.status is not ImageStatus.pending:
            self.store.delete(incoming)  # a redelivery after success: only the cleanup is left
            return Outcome.already_done
        try:
            data = self.store.get(incoming, max_bytes=self.settings.max_upload_bytes)
        except PayloadTooLarge:
            return self._reject(record, incoming, f"file is larger than {self.settings.max_upload_bytes} bytes")
        if data is None:
            return Outcome.orphan
        sw.mark("download_ms")
        try:
            processed = self.process(data, max_pixels=self.settings.max_pixels, display=record.resize)
        except ImageRejected as rejection:
            return self._reject(record, incoming, rejection.reason)
        sw.mark("process_ms")
        for name, ms in processed.timings_ms.items():
            sw.add(f"process.{name}", ms)
        return self._accept(record, incoming, data, processed, sw)

    def _accept(
        self, record: ImageRecord, incoming: str, data: bytes, processed: ProcessedUpload, sw: Stopwatch
    ) -> Outcome:
        shared_display = record.resize is None and "compressed" in processed.renditions  # same bytes: store once
        names = [n for n in processed.renditions if not (n == "display" and shared_display)]

        def write(name: str, call: Callable[[], T]) -> T:
            start = time.perf_counter()
            result = call()
            sw.add(f"write.{name}_ms", (time.perf_counter() - start) * 1000)  # own key per thread
            return result

        # The writes are independent and each one waits on the network: issue them together.
        with ThreadPoolExecutor(max_workers=len(names) + 1) as pool:
            stored = {
                name: pool.submit(
                    write,
                    name,
                    partial(store_rendition, self.store, record.owner, record.id, name, processed.renditions[name]),
                )
                for name in names
            }
            original = keys.original_key(record.owner, record.id)
            copied = pool.submit(write, "original", partial(self.store.copy, incoming, original))
            renditions: dict[str, Rendition] = {name: future.result() for name, future in stored.items()}
            if shared_display:
                renditions["display"] = renditions["compressed"]
            original_copied = copied.result()
        sw.mark("writes_ms")
        if not original_copied:
            # The incoming object vanished while we worked: a concurrent delivery of the same
            # event finished first (and cleaned up), or the image was deleted.
            current = self.repository.get(record.owner, record.id)
            if current is None:
                for prefix in keys.image_prefixes(record.owner, record.id):
                    self.store.delete_prefix(prefix)
                return Outcome.orphan
            if current.status is not ImageStatus.pending:
                return Outcome.already_done
            raise RuntimeError(f"incoming object of pending image {record.id} disappeared")  # retried
        analysis = processed.analysis
        ready = record.model_copy(
            update={
                "status": ImageStatus.ready,
                "content_type": analysis.mime,
                "sha256": analysis.sha256,
                "original": Dimensions(width=analysis.width, height=analysis.height, bytes=len(data)),
                "renditions": renditions,
                "analysis": analysis,
                "updated_at": datetime.now(UTC),
            }
        )
        if self.repository.complete(ready, byte_delta=len(data) - record.declared_bytes):
            sw.mark("complete_record_ms")
            logger.info("image ready", extra={"image_id": record.id, "bytes": len(data), "timings_ms": sw.laps})
        elif self.repository.get(record.owner, record.id) is None:
            # Deleted while we worked: what we just wrote belongs to no one.
            for prefix in keys.image_prefixes(record.owner, record.id):
                self.store.delete_prefix(prefix)
            return Outcome.orphan
        self.store.delete(incoming)
        return Outcome.ready

    def _reject(self, record: ImageRecord, incoming: str, reason: str) -> Outcome:
        rejected = record.model_copy(
            update={"status": ImageStatus.rejected, "rejection_reason": reason, "updated_at": datetime.now(UTC)}
        )
        if self.repository.reject(rejected):
            logger.info("image rejected", extra={"image_id": record.id, "reason": reason})
        self.store.delete(incoming)
        return Outcome.rejected
