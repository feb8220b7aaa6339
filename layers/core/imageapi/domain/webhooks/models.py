"""What the webhook routes accept and answer, and the endpoint and delivery records behind them."""

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from imageapi.domain.events import EventType

MAX_DESCRIPTION = 200
RESPONSE_KEPT = 1024  # bytes of each answer kept in the delivery log


def _unique(values: list[EventType]) -> list[EventType]:
    if len(set(values)) != len(values):
        raise ValueError("must not repeat an event type")
    return values


EventTypes = Annotated[
    list[EventType],
    Field(min_length=1, max_length=len(EventType), json_schema_extra={"uniqueItems": True}),
    AfterValidator(_unique),
]
# No control characters (the pattern is in the OpenAPI document too, so a valid request is accepted).
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION, pattern=r"^[^\x00-\x1f\x7f]*$")]
Url = Annotated[str, Field(min_length=1, max_length=2048)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebhookIn(Strict):
    """``POST /webhooks``."""

    url: Url = Field(description="https URL the events are POSTed to (checked like a URL import's source)")
    events: EventTypes = Field(description="the event types this endpoint receives")
    description: Description | None = None


class WebhookPatch(Strict):
    """``PATCH /webhooks/{id}``: any of these; ``enabled: true`` re-enables a disabled endpoint."""

    url: Url | None = None
    events: EventTypes | None = None
    description: Description | None = None
    enabled: bool | None = None


class RecoverRequest(Strict):
    since: datetime = Field(description="re-send every failed delivery of events at or after this time")


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[EventType]
    description: str | None = None
    enabled: bool
    disabled_reason: str | None = Field(None, description="why the endpoint was disabled (410 Gone, 5 days failing)")
    created_at: datetime
    updated_at: datetime
    secret_rotated_at: datetime | None = None
    previous_secret_expires_at: datetime | None = Field(
        None, description="until then deliveries are signed with the previous secret too"
    )


class WebhookWithSecret(WebhookOut):
    """The answer to create and rotate: the only time the secret is shown."""

    secret: str = Field(description="whsec_ + base64 of 32 random bytes; shown this once")


class WebhookList(BaseModel):
    items: list[WebhookOut]


class DeliveryStatus(StrEnum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


class AttemptOut(BaseModel):
    at: datetime
    status_code: int | None = Field(None, description="the receiver's HTTP status; none when no answer came")
    latency_ms: int
    response: str = Field("", description="the first 1 KB of the answer")
    error: str | None = Field(None, description="why no answer came (refused address, timeout, connection)")


class DeliveryOut(BaseModel):
    id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    created_at: datetime
    next_attempt_at: datetime | None = None
    failure_reason: str | None = None
    attempts: list[AttemptOut]


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


class Recovered(BaseModel):
    redelivering: int = Field(description="failed deliveries sent again")


@dataclass(frozen=True)
class Endpoint:
    id: str
    owner: str
    url: str
    events: tuple[EventType, ...]
    enabled: bool
    created_at: datetime
    updated_at: datetime
    secret: bytes  # sealed (adapters/webhooks/secrets): never the plain secret at rest
    description: str | None = None
    disabled_reason: str | None = None
    previous_secret: bytes | None = None
    previous_expires_at: datetime | None = None
    rotated_at: datetime | None = None
    failing_since: datetime | None = None  # the first failure since the last success

    def out(self) -> WebhookOut:
        return WebhookOut(
            id=self.id,
            url=self.url,
            events=list(self.events),
            description=self.description,
            enabled=self.enabled,
            disabled_reason=self.disabled_reason,
            created_at=self.created_at,
            updated_at=self.updated_at,
            secret_rotated_at=self.rotated_at,
            previous_secret_expires_at=self.previous_expires_at,
        )

    def wants(self, event_type: str) -> bool:
        return self.enabled and event_type in {e.value for e in self.events}


@dataclass(frozen=True)
class Attempt:
    at: datetime
    latency_ms: int
    status_code: int | None = None
    response: str = ""
    error: str | None = None

    def out(self) -> AttemptOut:
        return AttemptOut(
            at=self.at,
            status_code=self.status_code,
            latency_ms=self.latency_ms,
            response=self.response,
            error=self.error,
        )


@dataclass(frozen=True)
class Delivery:
    """One event for one endpoint: the exact body, every attempt, where the schedule stands.
    ``tries`` counts the attempts of the current round (a redelivery starts a new one, with a
    new ``generation``); the log keeps every attempt."""

    id: str
    owner: str
    endpoint_id: str
    event_id: str
    event_type: str
    body: str
    created_at: datetime
    status: DeliveryStatus = DeliveryStatus.pending
    attempts: tuple[Attempt, ...] = field(default=())
    tries: int = 0
    generation: int = 0
    next_attempt_at: datetime | None = None
    failure_reason: str | None = None

    def out(self) -> DeliveryOut:
        return DeliveryOut(
            id=self.id,
            event_id=self.event_id,
            event_type=self.event_type,
            status=self.status,
            created_at=self.created_at,
            next_attempt_at=self.next_attempt_at if self.status is DeliveryStatus.pending else None,
            failure_reason=self.failure_reason,
            attempts=[a.out() for a in reversed(self.attempts)],  # newest first, like the log
        )

    def restarted(self, at: datetime) -> "Delivery":
        return replace(
            self,
            status=DeliveryStatus.pending,
            tries=0,
            generation=self.generation + 1,
            next_attempt_at=at,
            failure_reason=None,
        )


@dataclass(frozen=True)
class DeliveryTask:
    """What the delivery queue carries for one delivery (an attempt is due when it arrives)."""

    owner: str
    endpoint_id: str
    delivery_id: str
    generation: int
