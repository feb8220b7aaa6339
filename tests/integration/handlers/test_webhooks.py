"""The webhook routes and the delivery function, in-process against moto (SPEC §3.11, issue 19):
endpoints and their secrets, signatures the official ``standardwebhooks`` package verifies during
a rotation and not after it, the retry schedule on a settable clock, 410, Retry-After, the last
failure in the dead-letter queue, redelivery and recovery."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest
from standardwebhooks import WebhookVerificationError

from tests.harness.receiver import Answer, Receiver
from tests.harness.usecases import Clock
from tests.integration.handlers.webhooks_support import DeliveryQueue, WebhookApi

ALL = [
    "image.created",
    "image.ready",
    "image.rejected",
    "image.updated",
    "image.deleted",
    "image.restored",
    "image.purged",
]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def function_environment(template: Any) -> dict[str, str]:
    """The webhook functions' own variables (queue URLs, the KMS alias, the bus), as the template sets them."""
    names = ("WebhooksFunction", "WebhookDeliveryFunction", "EventsPublisherFunction")
    return {k.lower(): v for fn in names for k, v in template.functions[fn].environment.items()}


@pytest.fixture
def hooks(handlers: Callable[[str], ModuleType], aws: Any, settings_override: Any, receiver: Receiver) -> WebhookApi:
    # http to this receiver only (its origin skips the address check, as the local inbox's does)
    local = {"webhook_allow_http": "true", "webhook_allowed_origins": receiver.origin, "rate_limit_webhooks": "0"}
    settings_override(**(function_environment(aws) | local))
    return WebhookApi(handlers)


@pytest.fixture
def queue(handlers: Callable[[str], ModuleType], aws: Any, hooks: WebhookApi, settings_override: Any) -> DeliveryQueue:
    running = DeliveryQueue(handlers, aws)
    settings_override(**running.environment)
    return running


@pytest.fixture
def clock() -> Clock:
    """Both webhook use cases on one settable clock (started at the real now: receivers check
    webhook-timestamp against their own clock)."""
    from imageapi.context_events import dispatcher, webhook_service

    settable = Clock()
    settable.now = datetime.now(UTC)
    dispatcher().clock = settable
    webhook_service().clock = settable
    return settable


def _create(hooks: WebhookApi, url: str, sub: str = "alice", events: list[str] | None = None) -> dict[str, Any]:
    created = hooks.call("POST", "/webhooks", {"url": url, "events": events or ALL, "description": "app"}, sub=sub)
    assert created.status == 201, created.text
    return created.json()


def test_an_endpoint_shows_its_secret_once_and_keeps_it_sealed(hooks: WebhookApi, aws: Any, receiver: Receiver) -> None:
    created = _create(hooks, receiver.url(), sub="sealer")
    secret = created["secret"]
    assert secret.startswith("whsec_") and created["enabled"] is True and created["events"] == ALL
    for reply in (
        hooks.call("GET", f"/webhooks/{created['id']}", sub="sealer"),
        hooks.call("GET", "/webhooks", sub="sealer"),
    ):
        assert reply.status == 200 and secret not in reply.text and 'secret"' not in reply.text
    from local.aws import client

    item = client("dynamodb", aws.aws_url).get_item(
        TableName=aws.tables["ImagesTable"].name,
        Key={"pk": {"S": "OWNER#sealer"}, "sk": {"S": f"WEBHOOK#{created['id']}"}},
    )["Item"]
    sealed = bytes(item["secret"]["B"])
    assert secret.encode() not in sealed and secret.removeprefix("whsec_").encode() not in sealed
    kms = client("kms", aws.aws_url)
    key = aws.keys["WebhookSecretsKey"].alias
    context = {"service": "serverless-image-api/webhooks", "owner": "sealer", "endpoint": created["id"]}
    assert kms.decrypt(CiphertextBlob=sealed, KeyId=key, EncryptionContext=context)["Plaintext"].decode() == secret
    with pytest.raises(kms.exceptions.InvalidCiphertextException):  # bound to its owner and endpoint
        kms.decrypt(CiphertextBlob=sealed, KeyId=key, EncryptionContext={**context, "owner": "mallory"})


def test_endpoint_routes_answer_problems_for_bad_input(
    hooks: WebhookApi, receiver: Receiver, settings_override: Any
) -> None:
    owner = "validator"
    bad_bodies = [
        ({"url": receiver.url(), "events": []}, 422),
        ({"url": receiver.url(), "events": ["image.exploded"]}, 422),
        ({"url": receiver.url(), "events": ["image.ready", "image.ready"]}, 422),
        ({"url": receiver.url(), "events": ["image.ready"], "extra": 1}, 422),
        ({"url": "ftp://example.com/x", "events": ["image.ready"]}, 400),
        ({"url": "https://user:pw@example.com/x", "events": ["image.ready"]}, 400),
        ({"url": "http://127.0.0.2:9/x", "events": ["image.ready"]}, 400),  # loopback, not the exempt origin
    ]
    for body, status in bad_bodies:
        hooks.call("POST", "/webhooks", body, sub=owner).assert_problem(status)
    assert hooks.call("POST", "/webhooks", {"url": receiver.url()}, sub=owner).assert_problem(422)["errors"]
    settings_override(webhook_allow_http="false")
    refused = hooks.call("POST", "/webhooks", {"url": receiver.url(), "events": ["image.ready"]}, sub=owner)
    assert "https" in refused.assert_problem(400)["detail"]  # https only in AWS
    for method, path in [("GET", "/webhooks/wh_nope"), ("DELETE", "/webhooks/01JDQZ8Z6J8V0000000000ABCD")]:
        hooks.call(method, path, sub=owner).assert_problem(404)
    assert hooks.call("GET", "/webhooks", sub=owner).json() == {"items": []}  # nothing was stored


def test_the_endpoint_cap_and_crud(hooks: WebhookApi, receiver: Receiver, settings_override: Any) -> None:
    settings_override(webhook_max_endpoints="2")
    owner = "capped"
    first, second = _create(hooks, receiver.url("/1"), owner), _create(hooks, receiver.url("/2"), owner)
    over = hooks.call("POST", "/webhooks", {"url": receiver.url("/3"), "events": ["image.ready"]}, sub=owner)
    assert "at most 2" in over.assert_problem(429)["detail"]
    patched = hooks.call("PATCH", f"/webhooks/{first['id']}", {"events": ["image.ready"], "enabled": False}, sub=owner)
    assert patched.status == 200 and patched.json()["events"] == ["image.ready"] and patched.json()["enabled"] is False
    assert patched.json()["disabled_reason"] == "disabled by its owner"
    hooks.call("POST", f"/webhooks/{first['id']}/test", sub=owner).assert_problem(409)
    assert hooks.call("DELETE", f"/webhooks/{second['id']}", sub=owner).status == 204
    hooks.call("DELETE", f"/webhooks/{second['id']}", sub=owner).assert_problem(404)
    assert _create(hooks, receiver.url("/4"), owner)["id"]  # the cap counts what is left
    listed = [w["id"] for w in hooks.call("GET", "/webhooks", sub=owner).json()["items"]]
    assert len(listed) == 2 and listed[0] == first["id"]


def test_both_secrets_sign_during_a_rotation_and_only_the_new_one_after_24_hours(
    hooks: WebhookApi, queue: DeliveryQueue, receiver: Receiver, clock: Clock
) -> None:
    owner = "rotator"
    endpoint = _create(hooks, receiver.url(), owner)
    old = endpoint["secret"]
    real_now = clock.now
    clock.now = real_now - timedelta(hours=1)  # rotate an hour ago: the overlap still runs
    rotated = hooks.call("POST", f"/webhooks/{endpoint['id']}/rotate-secret", sub=owner)
    assert rotated.status == 200
    new = rotated.json()["secret"]
    assert new != old and rotated.json()["previous_secret_expires_at"]
    clock.now = real_now
    assert hooks.call("POST", f"/webhooks/{endpoint['id']}/test", sub=owner).status == 202
    queue.run_all()
    during = receiver.received[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert receiver.verify(during, secret)["type"] == "webhook.test"
    # Tampering: one byte of the body changed, and a timestamp 6 minutes old, are rejected.
    tampered = type(during)(during.path, during.headers, during.body.replace("webhook.test", "webhook.tesT"))
    with pytest.raises(WebhookVerificationError):
        receiver.verify(tampered, new)
    clock.now = real_now - timedelta(minutes=6)
    hooks.call("POST", f"/webhooks/{endpoint['id']}/test", sub=owner)
    queue.run_all()
    with pytest.raises(WebhookVerificationError, match="too old"):
        receiver.verify(receiver.received[-1], new)

    # A rotation more than 24 h ago: only its new secret signs, the previous one no more.
    clock.now = real_now - timedelta(hours=24, minutes=1)
    latest = hooks.call("POST", f"/webhooks/{endpoint['id']}/rotate-secret", sub=owner).json()["secret"]
    clock.now = real_now
    hooks.call("POST", f"/webhooks/{endpoint['id']}/test", sub=owner)
    queue.run_all()
    after = receiver.received[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert receiver.verify(after, latest)["type"] == "webhook.test"
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        receiver.verify(after, new)


def test_a_receiver_failing_three_times_gets_the_event_on_the_fourth_attempt(
    hooks: WebhookApi, queue: DeliveryQueue, receiver: Receiver, clock: Clock
) -> None:
    owner = "flaky"
    endpoint = _create(hooks, receiver.url(), owner)
    receiver.answer(500, 500, 500)
    assert hooks.call("POST", f"/webhooks/{endpoint['id']}/test", sub=owner).status == 202
    expected_waits = [5, 300, 1800]
    for attempt, wait in enumerate(expected_waits, start=1):
        kept = queue.run_all()
        assert len(receiver.received) == attempt and len(kept) == 1, "a failed attempt keeps its message"
        log = hooks.call("GET", f"/webhooks/{endpoint['id']}/deliveries", sub=owner).json()["items"][0]
        assert log["status"] == "pending" and len(log["attempts"]) == attempt
        waited = (datetime.fromisoformat(log["next_attempt_at"]) - clock.now).total_seconds()
        assert wait * 0.9 - 0.01 <= waited <= wait * 1.1 + 0.01, (attempt, waited)
        assert queue.receive() == []  # hidden until then (SQS visibility)
        clock.advance(waited)
        queue.visible_now(kept[0])
    queue.run_all()
    assert len(receiver.received) == 4
    assert len({r.webhook_id for r in receiver.received}) == 1  # the same webhook-id every time
    log = hooks.call("GET", f"/webhooks/{endpoint['id']}/deliveries", sub=owner).json()["items"][0]
    assert log["status"] == "succeeded" and [a["status_code"] for a in log["attempts"]] == [200, 500, 500, 500]
    assert all(a["latency_ms"] >= 0 and a["response"] for a in log["attempts"])  # newest first, with answers


def test_410_disables_3xx_fails_and_retry_after_is_honoured(
    hooks: WebhookApi, queue: DeliveryQueue, receiver: Receiver, clock: Clock
) -> None:
    owner = "picky"
    endpoint = _create(hooks, receiver.url(), owner)
    receiver.answer(Answer(302, {"Location": receiver.url("/elsewhere")}), Answer(429, {"Retry-After": "3600"}))
    hooks.call("POST", f"/webhooks/{endpoint['id']}/test", sub=owner)
    kept = queue.run_all()
    assert [r.path for r in receiver.received] == ["/hooks"]  # the redirect was not followed
    clock.advance(6)
    queue.visible_now(kept[0])
    queue.run_all()
    log = hooks.call("GET", f"/webhooks/{endpoint['id']}/deliveries", sub=owner).json()["items"][0]
    assert [a["status_code"] for a in log["attempts"]] == [429, 302]
    assert (datetime.fromisoformat(log["next_attempt_at"]) - clock.now).total_seconds() >= 3600 - 0.001  # ms stored

    receiver.answer(410)
    hooks.call("POST", f"/webhooks/{endpoint['id']}/test", sub=owner)
    queue.run_all()
    gone = hooks.call("GET", f"/webhooks/{endpoint['id']}", sub=owner).json()
    assert gone["enabled"] is False and "410" in gone["disabled_reason"]
    count = len(receiver.received)
    hooks.call("POST", f"/webhooks/{endpoint['id']}/test", sub=owner).assert_problem(409)
    assert hooks.call("PATCH", f"/webhooks/{endpoint['id']}", {"enabled": True}, sub=owner).json()["enabled"]
    assert len(receiver.received) == count


def test_eight_failures_fail_the_delivery_into_the_dead_letter_queue_and_recover_sends_it_again(
    hooks: WebhookApi, queue: DeliveryQueue, receiver: Receiver, clock: Clock
) -> None:
    owner = "outage"
    endpoint = _create(hooks, receiver.url(), owner)
    receiver.answer(*[503] * 8)
    started = clock.now
    hooks.call("POST", f"/webhooks/{endpoint['id']}/test", sub=owner)
    for _ in range(8):
        kept = queue.run_all()
        if not kept:
            break
        clock.advance(12 * 3600)
        queue.visible_now(kept[0])
    log = hooks.call("GET", f"/webhooks/{endpoint['id']}/deliveries", sub=owner).json()["items"][0]
    assert log["status"] == "failed" and len(log["attempts"]) == 8 and "8 attempts" in log["failure_reason"]
    dead = queue.dead_letters()
    assert len(dead) == 1 and json.loads(dead[0])["delivery"]["delivery_id"] == log["id"]
    assert hooks.call("GET", f"/webhooks/{endpoint['id']}", sub=owner).json()["enabled"]  # 4 days < 5
    recovered = hooks.call("POST", f"/webhooks/{endpoint['id']}/recover", {"since": started.isoformat()}, sub=owner)
    assert recovered.status == 202 and recovered.json() == {"redelivering": 1}
    queue.run_all()
    log = hooks.call("GET", f"/webhooks/{endpoint['id']}/deliveries", sub=owner).json()["items"][0]
    assert log["status"] == "succeeded" and len(log["attempts"]) == 9
    assert len({r.webhook_id for r in receiver.received}) == 1
    again = hooks.call("POST", f"/webhooks/{endpoint['id']}/deliveries/{log['id']}/redeliver", sub=owner)
    assert again.status == 202 and again.json()["status"] == "pending"
    queue.run_all()
    assert len(receiver.received) == 10 and receiver.received[-1].webhook_id == receiver.received[0].webhook_id


def test_an_endpoint_failing_every_delivery_for_5_days_is_disabled_with_the_reason(
    hooks: WebhookApi, queue: DeliveryQueue, receiver: Receiver, clock: Clock
) -> None:
    owner = "dead-endpoint"
    endpoint = _create(hooks, receiver.url(), owner)
    receiver.answer(*[500] * 40)
    for _day in range(6):
        hooks.call("POST", f"/webhooks/{endpoint['id']}/test", sub=owner)
        queue.run_all()
        clock.advance(86_400)
        if not hooks.call("GET", f"/webhooks/{endpoint['id']}", sub=owner).json()["enabled"]:
            break
    state = hooks.call("GET", f"/webhooks/{endpoint['id']}", sub=owner).json()
    assert state["enabled"] is False and "5 days" in state["disabled_reason"]


def test_the_management_routes_share_the_owners_rate_limit(hooks: WebhookApi, settings_override: Any) -> None:
    settings_override(rate_limit_webhooks="2")
    owner = "hasty"
    assert hooks.call("GET", "/webhooks", sub=owner).status == 200
    assert hooks.call("GET", "/webhooks", sub=owner).status == 200
    limited = hooks.call("GET", "/webhooks", sub=owner)
    body = limited.assert_problem(429)
    assert body["type"].endswith(":rate-limited") and body["route"] == "webhooks"
    assert int(limited.headers["retry-after"]) >= 1
    assert hooks.call("GET", "/webhooks", sub="someone-else").status == 200  # per owner
