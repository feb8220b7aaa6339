"""Delivering events to webhook endpoints (issue 19), one message of the delivery queue at a time.

Two kinds of message arrive: an event (from the EventBridge rule) is fanned out into one
delivery per subscribed endpoint (stored, then queued as a task); a task is one attempt of one
delivery. A failed attempt hides its own message for the next wait of the schedule (SQS
visibility, at most 12 h a time) and leaves it on the queue; the eighth failure marks the
delivery failed and copies the message to the dead-letter queue.

What makes it safe to retry anything: a delivery's id is derived from the endpoint and the event,
so a fan-out that runs twice stores one delivery; an attempt is recorded only if the delivery is
still at the round and try it was read at, so two copies of a task (a fan-out that died midway,
a redelivery) collapse into one after at most one extra POST, under the same ``webhook-id``.
"""

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from imageapi.domain.events import ImageEvent
from imageapi.domain.webhooks.models import Attempt, Delivery, DeliveryStatus, DeliveryTask, Endpoint
from imageapi.domain.webhooks.ports import DeliveryLog, EndpointStore, SecretBox, Sender, SendResult, TaskQueue
from imageapi.domain.webhooks.schedule import MAX_ATTEMPTS, delay_after, parse_retry_after, visibility_for
from imageapi.domain.webhooks.service import delivery_id
from imageapi.domain.webhooks.signing import webhook_headers

logger = Logger(child=True)
USER_AGENT = "serverless-image-api/webhooks"
EARLY = timedelta(seconds=1)  # a task that arrives this close to its time is attempted
FAILING_LIMIT = timedelta(days=5)  # an endpoint failing every delivery this long is disabled


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Dispatcher:
    endpoints: EndpointStore
    deliveries: DeliveryLog
    secrets: SecretBox
    queue: TaskQueue
    send: Sender
    clock: Callable[[], datetime] = field(default=_utcnow)
    rng: random.Random = field(default_factory=random.Random)

    def handle(self, body: str, receipt: str) -> bool:
        """Process one queue message; True keeps it on the queue (hidden until its next attempt)."""
        message: dict[str, Any] = json.loads(body)
        if "detail" in message:  # an event, as the EventBridge rule delivers it
            self.fan_out(ImageEvent.model_validate(message["detail"]))
            return False
        task = DeliveryTask(**message["delivery"])
        return self.attempt(task, receipt, body)

    # ------------------------------------------------------------------ fan-out
    def fan_out(self, event: ImageEvent) -> int:
        """One delivery per endpoint of the event's owner that subscribed to its type."""
        now, body, tasks = self.clock(), event.body(), []
        for endpoint in self.endpoints.list(event.owner):
            if not endpoint.wants(event.type):
                continue
            delivery = Delivery(
                id=delivery_id(endpoint.id, event.id, event.timestamp),
                owner=event.owner,
                endpoint_id=endpoint.id,
                event_id=event.id,
                event_type=event.type,
                body=body,
                created_at=now,
                next_attempt_at=now,
            )
            if not self.deliveries.create(delivery):
                # The same event again (a retried publish or fan-out): queue it again only if it
                # never got an attempt, in case the first fan-out died before queueing it.
                stored = self.deliveries.get(event.owner, endpoint.id, delivery.id)
                if stored is None or stored.tries or stored.status is not DeliveryStatus.pending:
                    continue
                delivery = stored
            tasks.append(DeliveryTask(event.owner, endpoint.id, delivery.id, delivery.generation))
        for start in range(0, len(tasks), 10):
            self.queue.enqueue(tasks[start : start + 10])
        return len(tasks)

    # ------------------------------------------------------------------ one attempt
    def attempt(self, task: DeliveryTask, receipt: str, body: str) -> bool:
        delivery = self.deliveries.get(task.owner, task.endpoint_id, task.delivery_id)
        if delivery is None or delivery.generation != task.generation or delivery.status is not DeliveryStatus.pending:
            return False  # done, superseded by a redelivery, or gone with its endpoint
        endpoint = self.endpoints.get(task.owner, task.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            reason = (
                "the endpoint was deleted"
                if endpoint is None
                else f"the endpoint is disabled: {endpoint.disabled_reason}"
            )
            self.deliveries.record(
                delivery, None, status=DeliveryStatus.failed, next_attempt_at=None, failure_reason=reason
            )
            return False
        now = self.clock()
        if delivery.next_attempt_at is not None and now < delivery.next_attempt_at - EARLY:
            self.queue.hide(receipt, visibility_for(delivery.next_attempt_at - now))  # woke early (a long wait)
            return True
        result = self.send(endpoint.url, self._headers(endpoint, delivery, now), delivery.body.encode())
        attempt = Attempt(
            at=now,
            latency_ms=result.latency_ms,
            status_code=result.status_code,
            response=result.response,
            error=result.error,
        )
        if result.status_code is not None and 200 <= result.status_code < 300:
            self.deliveries.record(delivery, attempt, status=DeliveryStatus.succeeded, next_attempt_at=None)
            if endpoint.failing_since is not None:
                self.endpoints.note_success(endpoint)
            return False
        return self._failed(endpoint, delivery, attempt, result, receipt, body)

    def _failed(
        self, endpoint: Endpoint, delivery: Delivery, attempt: Attempt, result: SendResult, receipt: str, body: str
    ) -> bool:
        now = attempt.at
        if result.status_code == 410:
            self.endpoints.disable(endpoint, "the endpoint answered 410 Gone", now)
            self._give_up(delivery, attempt, "the endpoint answered 410 Gone and was disabled")
            return False
        failing_since = self.endpoints.note_failure(endpoint, now)
        if now - failing_since >= FAILING_LIMIT:
            reason = f"every delivery failed for 5 days (since {failing_since:%Y-%m-%d %H:%M} UTC)"
            self.endpoints.disable(endpoint, reason, now)
            self._give_up(delivery, attempt, f"the endpoint was disabled: {reason}")
            return False
        retry_after = parse_retry_after(result.retry_after, now) if result.status_code in (429, 503) else None
        wait = delay_after(delivery.tries + 1, self.rng, retry_after)
        if wait is None:
            if self._give_up(delivery, attempt, f"no success in {MAX_ATTEMPTS} attempts"):
                self.queue.dead_letter(body)  # kept, with an alarm on the queue
            return False
        next_at = now + timedelta(seconds=wait)
        if not self.deliveries.record(delivery, attempt, status=DeliveryStatus.pending, next_attempt_at=next_at):
            return False  # another copy of this task recorded this try first: it carries the schedule
        self.queue.hide(receipt, visibility_for(next_at - now))
        return True

    def _give_up(self, delivery: Delivery, attempt: Attempt, reason: str) -> bool:
        """Mark the delivery failed; False when another copy of the task recorded this try first."""
        recorded = self.deliveries.record(
            delivery, attempt, status=DeliveryStatus.failed, next_attempt_at=None, failure_reason=reason
        )
        logger.info(
            "webhook delivery failed",
            extra={"delivery_id": delivery.id, "event_id": delivery.event_id, "reason": reason, "recorded": recorded},
        )
        return recorded

    def _headers(self, endpoint: Endpoint, delivery: Delivery, now: datetime) -> dict[str, str]:
        secrets = [self.secrets.open(endpoint.secret, endpoint.owner, endpoint.id)]
        if endpoint.previous_secret and endpoint.previous_expires_at and now < endpoint.previous_expires_at:
            secrets.append(self.secrets.open(endpoint.previous_secret, endpoint.owner, endpoint.id))
        return {
            **webhook_headers(secrets, delivery.event_id, now, delivery.body),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        }
