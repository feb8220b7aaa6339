"""Publishing lifecycle events to the stack's EventBridge bus: source ``serverless-image-api``, a
detail-type per event type, the event itself as detail (domain/events)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from imageapi.domain.events import SOURCE, ImageEvent

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

logger = Logger(child=True)
PUT_EVENTS_MAX = 10  # entries per PutEvents call


class EventBridgePublisher:
    def __init__(self, client: EventBridgeClient, bus_name: str) -> None:
        self._events = client
        self._bus = bus_name

    def publish(self, events: list[ImageEvent]) -> int:
        """Put ``events`` in order; answer how many went out before the first one that did not
        (all of them on success). Events after a failure are not attempted: the caller retries
        from the first failure, and ids make a repeated event the same event."""
        for start in range(0, len(events), PUT_EVENTS_MAX):
            chunk = events[start : start + PUT_EVENTS_MAX]
            entries: list[Any] = [
                {
                    "Source": SOURCE,
                    "DetailType": event.type,
                    "Detail": event.body(),
                    "EventBusName": self._bus,
                    "Time": event.timestamp,
                }
                for event in chunk
            ]
            try:
                answer = self._events.put_events(Entries=entries)
            except (ClientError, BotoCoreError) as error:
                logger.warning(
                    "the event bus refused a put", extra={"error": type(error).__name__, "events": len(chunk)}
                )
                return start
            if answer.get("FailedEntryCount"):
                results = answer["Entries"]
                first = next(i for i, r in enumerate(results) if r.get("ErrorCode"))
                logger.warning(
                    "the event bus refused an event",
                    extra={"event_id": chunk[first].id, "code": results[first].get("ErrorCode")},
                )
                return start + first
        return len(events)
