"""The webhook routes' use cases (SPEC §3.11): an owner's endpoints, their secrets, the delivery
log, redelivery and recovery. Every read is scoped by the owner, so another owner's endpoint or
delivery id is a 404 exactly like an unknown one."""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from imageapi.domain.errors import NotFound, QuotaExceeded, WebhookDisabled
from imageapi.domain.events import webhook_test_event
from imageapi.domain.ids import ID_PATTERN, new_image_id, ulid
from imageapi.domain.ratelimit import WEBHOOKS, RateLimiter
from imageapi.domain.webhooks.models import (
    Delivery,
    DeliveryOut,
    DeliveryPage,
    DeliveryTask,
    Endpoint,
    Recovered,
    WebhookIn,
    WebhookList,
    WebhookOut,
    WebhookPatch,
    WebhookWithSecret,
)
from imageapi.domain.webhooks.ports import DeliveryLog, EndpointStore, SecretBox, TaskQueue, UrlCheck
from imageapi.domain.webhooks.signing import new_secret
from imageapi.settings import Settings

WEBHOOK_PREFIX, DELIVERY_PREFIX = "wh_", "dlv_"
ROTATION_OVERLAP = timedelta(hours=24)  # the previous secret keeps signing this long
MAX_RECOVER = 1000  # failed deliveries one recover call sends again (call again for more)
_SUFFIX = ID_PATTERN.pattern.strip("^$")
_WEBHOOK_ID = re.compile(rf"^{WEBHOOK_PREFIX}{_SUFFIX}$")
_DELIVERY_ID = re.compile(rf"^{DELIVERY_PREFIX}{_SUFFIX}$")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def delivery_id(endpoint_id: str, event_id: str, event_time: datetime) -> str:
    """Deterministic and time-sortable: the same event for the same endpoint is one delivery, and
    the log lists deliveries by their event's time (a ULID of that time and a hash)."""
    entropy = hashlib.sha256(f"{endpoint_id}\0{event_id}".encode()).digest()
    return DELIVERY_PREFIX + ulid(int(event_time.timestamp() * 1000), entropy)


def delivery_time(delivery_id_: str) -> int:
    """The event time (epoch ms) a delivery id sorts by."""
    value = 0
    for ch in delivery_id_.removeprefix(DELIVERY_PREFIX)[:10]:
        value = value * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".index(ch)
    return value


@dataclass
class WebhookService:
    endpoints: EndpointStore
    deliveries: DeliveryLog
    secrets: SecretBox
    queue: TaskQueue
    check_url: UrlCheck
    settings: Settings
    clock: Callable[[], datetime] = field(default=_utcnow)
    limiter: RateLimiter | None = None  # the per-owner rate limit of the management routes

    def _limit(self, owner: str) -> None:
        if self.limiter is not None:
            self.limiter.check(owner, WEBHOOKS)

    def _endpoint(self, owner: str, endpoint_id: str) -> Endpoint:
        found = self.endpoints.get(owner, endpoint_id) if _WEBHOOK_ID.match(endpoint_id) else None
        if found is None:
            raise NotFound(f"no webhook endpoint with id {endpoint_id!r}")
        return found

    # ------------------------------------------------------------------ endpoints
    def create(self, owner: str, request: WebhookIn) -> WebhookWithSecret:
        self._limit(owner)
        self.check_url(request.url)
        now = self.clock()
        endpoint_id = WEBHOOK_PREFIX + new_image_id(int(now.timestamp() * 1000))
        secret = new_secret()
        endpoint = Endpoint(
            id=endpoint_id,
            owner=owner,
            url=request.url,
            events=tuple(request.events),
            enabled=True,
            created_at=now,
            updated_at=now,
            secret=self.secrets.seal(secret, owner, endpoint_id),
            description=request.description,
        )
        cap = self.settings.webhook_max_endpoints
        try:
            self.endpoints.add(endpoint, cap=cap)
        except QuotaExceeded:
            raise QuotaExceeded(f"at most {cap} webhook endpoints per owner; delete one first") from None
        return WebhookWithSecret(**endpoint.out().model_dump(), secret=secret)

    def list(self, owner: str) -> WebhookList:
        self._limit(owner)
        return WebhookList(items=[e.out() for e in sorted(self.endpoints.list(owner), key=lambda e: e.id)])

    def get(self, owner: str, endpoint_id: str) -> WebhookOut:
        self._limit(owner)
        return self._endpoint(owner, endpoint_id).out()

    def update(self, owner: str, endpoint_id: str, patch: WebhookPatch) -> WebhookOut:
        self._limit(owner)
        endpoint = self._endpoint(owner, endpoint_id)
        if patch.url is not None and patch.url != endpoint.url:
            self.check_url(patch.url)
        changed = replace(
            endpoint,
            url=patch.url if patch.url is not None else endpoint.url,
            events=tuple(patch.events) if patch.events is not None else endpoint.events,
            description=patch.description if patch.description is not None else endpoint.description,
            updated_at=self.clock(),
        )
        if patch.enabled is True:  # a fresh start: no reason, no failure streak
            changed = replace(changed, enabled=True, disabled_reason=None, failing_since=None)
        elif patch.enabled is False:
            changed = replace(changed, enabled=False, disabled_reason="disabled by its owner")
        if not self.endpoints.save(changed):
            raise NotFound(f"no webhook endpoint with id {endpoint_id!r}")
        return changed.out()

    def delete(self, owner: str, endpoint_id: str) -> None:
        self._limit(owner)
        if not _WEBHOOK_ID.match(endpoint_id) or not self.endpoints.remove(owner, endpoint_id):
            raise NotFound(f"no webhook endpoint with id {endpoint_id!r}")

    def rotate(self, owner: str, endpoint_id: str) -> WebhookWithSecret:
        """A new secret; the current one keeps signing, beside it, for ``ROTATION_OVERLAP``."""
        self._limit(owner)
        endpoint = self._endpoint(owner, endpoint_id)
        now = self.clock()
        secret = new_secret()
        rotated = replace(
            endpoint,
            secret=self.secrets.seal(secret, owner, endpoint_id),
            previous_secret=endpoint.secret,
            previous_expires_at=now + ROTATION_OVERLAP,
            rotated_at=now,
            updated_at=now,
        )
        if not self.endpoints.save(rotated):
            raise NotFound(f"no webhook endpoint with id {endpoint_id!r}")
        return WebhookWithSecret(**rotated.out().model_dump(), secret=secret)

    # ------------------------------------------------------------------ deliveries
    def send_test(self, owner: str, endpoint_id: str) -> DeliveryOut:
        """A ``webhook.test`` event for this endpoint only, through the delivery queue."""
        self._limit(owner)
        endpoint = self._require_enabled(self._endpoint(owner, endpoint_id))
        now = self.clock()
        event = webhook_test_event("evt_test_" + new_image_id(int(now.timestamp() * 1000)), owner, now)
        delivery = Delivery(
            id=delivery_id(endpoint.id, event.id, now),
            owner=owner,
            endpoint_id=endpoint.id,
            event_id=event.id,
            event_type=event.type,
            body=event.body(),
            created_at=now,
            next_attempt_at=now,
        )
        self.deliveries.create(delivery)
        self.queue.enqueue([DeliveryTask(owner, endpoint.id, delivery.id, delivery.generation)])
        return delivery.out()

    def list_deliveries(self, owner: str, endpoint_id: str, *, limit: int, cursor: str | None) -> DeliveryPage:
        self._limit(owner)
        endpoint = self._endpoint(owner, endpoint_id)
        items, next_cursor = self.deliveries.page(owner, endpoint.id, limit=limit, cursor=cursor)
        return DeliveryPage(items=[d.out() for d in items], next_cursor=next_cursor)

    def redeliver(self, owner: str, endpoint_id: str, delivery_id_: str) -> DeliveryOut:
        """Send one delivery again (same webhook-id), with a fresh retry schedule."""
        self._limit(owner)
        endpoint = self._require_enabled(self._endpoint(owner, endpoint_id))
        found = self.deliveries.get(owner, endpoint.id, delivery_id_) if _DELIVERY_ID.match(delivery_id_) else None
        restarted = self.deliveries.restart(found, self.clock()) if found else None
        if restarted is None:
            raise NotFound(f"no delivery with id {delivery_id_!r}")
        self.queue.enqueue([DeliveryTask(owner, endpoint.id, restarted.id, restarted.generation)])
        return restarted.out()

    def recover(self, owner: str, endpoint_id: str, since: datetime) -> Recovered:
        """Send again every failed delivery of an event at or after ``since`` (at most
        ``MAX_RECOVER`` a call: they are pending afterwards, so calling again sends the rest)."""
        self._limit(owner)
        endpoint = self._require_enabled(self._endpoint(owner, endpoint_id))
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        now, tasks = self.clock(), []
        for failed in self.deliveries.failed_since(owner, endpoint.id, since):
            restarted = self.deliveries.restart(failed, now)
            if restarted is not None:
                tasks.append(DeliveryTask(owner, endpoint.id, restarted.id, restarted.generation))
            if len(tasks) >= MAX_RECOVER:
                break
        for start in range(0, len(tasks), 10):
            self.queue.enqueue(tasks[start : start + 10])
        return Recovered(redelivering=len(tasks))

    @staticmethod
    def _require_enabled(endpoint: Endpoint) -> Endpoint:
        if not endpoint.enabled:
            raise WebhookDisabled(
                f'the endpoint is disabled ({endpoint.disabled_reason}); enable it with PATCH {{"enabled": true}}',
                extensions={"disabled_reason": endpoint.disabled_reason},
            )
        return endpoint
