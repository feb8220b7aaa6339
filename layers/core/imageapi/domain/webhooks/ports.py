"""The ports of the webhook use cases; adapters implement them (DynamoDB, KMS, SQS, HTTP)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from imageapi.domain.webhooks.models import Attempt, Delivery, DeliveryStatus, DeliveryTask, Endpoint


class EndpointStore(Protocol):
    def add(self, endpoint: Endpoint, *, cap: int) -> None:
        """Store a new endpoint; ``TooManyWebhooks`` when the owner already has ``cap``."""
        ...

    def get(self, owner: str, endpoint_id: str) -> Endpoint | None: ...
    def list(self, owner: str) -> list[Endpoint]: ...

    def save(self, endpoint: Endpoint) -> bool:
        """Overwrite an existing endpoint's settings and secrets; False when it is gone."""
        ...

    def remove(self, owner: str, endpoint_id: str) -> bool: ...

    def note_failure(self, endpoint: Endpoint, at: datetime) -> datetime:
        """Remember a failed attempt; answer since when the endpoint has failed every one."""
        ...

    def note_success(self, endpoint: Endpoint) -> None: ...
    def disable(self, endpoint: Endpoint, reason: str, at: datetime) -> None: ...


class DeliveryLog(Protocol):
    def create(self, delivery: Delivery) -> bool:
        """Store a new delivery; False when it exists (the same event for the same endpoint)."""
        ...

    def get(self, owner: str, endpoint_id: str, delivery_id: str) -> Delivery | None: ...

    def page(
        self, owner: str, endpoint_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[Delivery], str | None]:
        """Newest first."""
        ...

    def failed_since(self, owner: str, endpoint_id: str, since: datetime) -> Iterator[Delivery]: ...

    def record(
        self,
        delivery: Delivery,
        attempt: Attempt | None,
        *,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
        failure_reason: str | None = None,
    ) -> bool:
        """Append ``attempt`` (when one was made) and move the delivery on, only if it is still
        at the round and try it was read at; False when another attempt got there first."""
        ...

    def restart(self, delivery: Delivery, at: datetime) -> Delivery | None:
        """A new round (redeliver, recover); None when the delivery is gone."""
        ...


class SecretBox(Protocol):
    """Seals webhook secrets for storage (KMS), bound to their owner and endpoint."""

    def seal(self, secret: str, owner: str, endpoint_id: str) -> bytes: ...
    def open(self, sealed: bytes, owner: str, endpoint_id: str) -> str: ...


@dataclass(frozen=True)
class SendResult:
    latency_ms: int
    status_code: int | None = None
    response: str = ""  # the first RESPONSE_KEPT bytes of the answer, as text
    retry_after: str | None = None  # the raw Retry-After header
    error: str | None = None  # no answer: refused address, timeout, connection failure


class Sender(Protocol):
    """POSTs a delivery behind the URL guard, never following a redirect."""

    def __call__(self, url: str, headers: dict[str, str], body: bytes) -> SendResult: ...


class UrlCheck(Protocol):
    """The registration-time check of an endpoint URL; raises ``WebhookUrlRefused``."""

    def __call__(self, url: str) -> None: ...


class TaskQueue(Protocol):
    """The delivery queue (SQS)."""

    def enqueue(self, tasks: list[DeliveryTask]) -> None: ...
    def hide(self, receipt: str, seconds: int) -> None: ...
    def dead_letter(self, body: str) -> None: ...
