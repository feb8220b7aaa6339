"""The ingest use case (SPEC §4): claim an uploaded object, validate and analyse it (with
Pillow, behind the ``Processor`` port), write renditions, and move the record out of ``pending`` exactly once.

Order matters for retries: every write before the conditional state change is idempotent
(same keys, same bytes), and the incoming object is deleted only after the record moved on, so
a failure at any point leaves a state that a redelivery completes.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from aws_lambda_powertools import Logger

from imageapi.domain import keys
from imageapi.domain.errors import ImageRejected, PayloadTooLarge
from imageapi.domain.models import Dimensions, ImageRecord, ImageStatus, Rendition
from imageapi.domain.ports import ImageRepository, ObjectStore, ProcessedUpload, Processor
from imageapi.domain.renditions import store_rendition
from imageapi.settings import Settings

logger = Logger(child=True)


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

    def ingest(self, raw_key: str) -> Outcome:
        target = keys.parse_incoming_key(raw_key)
        if target is None:
            logger.warning("ignoring object outside the incoming layout", extra={"key": raw_key})
            return Outcome.ignored
        incoming = keys.incoming_key(target.owner, target.image_id)
        record = self.repository.get(target.owner, target.image_id)
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
        try:
            processed = self.process(data, max_pixels=self.settings.max_pixels, display=record.resize)
        except ImageRejected as rejection:
            return self._reject(record, incoming, rejection.reason)
        return self._accept(record, incoming, data, processed)

    def _accept(self, record: ImageRecord, incoming: str, data: bytes, processed: ProcessedUpload) -> Outcome:
        renditions: dict[str, Rendition] = {}
        for name, rendered in processed.renditions.items():
            if name == "display" and record.resize is None and "compressed" in renditions:
                renditions[name] = renditions["compressed"]  # same bytes: store them once
                continue
            renditions[name] = store_rendition(self.store, record.owner, record.id, name, rendered)
        if not self.store.copy(incoming, keys.original_key(record.owner, record.id)):
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
            logger.info("image ready", extra={"image_id": record.id, "bytes": len(data)})
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
