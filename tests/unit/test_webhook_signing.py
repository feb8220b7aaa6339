"""Standard Webhooks signatures and the retry schedule (issue 19), checked against the official
``standardwebhooks`` package (pinned in requirements-dev.txt): what it accepts, every receiver
written with it accepts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from imageapi.domain.webhooks.schedule import (
    JITTER,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    SQS_MAX_VISIBILITY,
    delay_after,
    parse_retry_after,
    visibility_for,
)
from imageapi.domain.webhooks.signing import SECRET_PREFIX, new_secret, webhook_headers

BODY = '{"id":"evt_1","type":"image.ready","data":{"image":{"title":"Ω"}}}'


def test_a_secret_is_whsec_and_32_random_bytes() -> None:
    import base64

    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith(SECRET_PREFIX)
        assert len(base64.b64decode(secret.removeprefix(SECRET_PREFIX))) == 32


def test_the_official_verifier_accepts_both_secrets_of_a_rotation() -> None:
    old, new = new_secret(), new_secret()
    headers = webhook_headers([new, old], "evt_1", datetime.now(UTC), BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(BODY, headers)["type"] == "image.ready"
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(new_secret()).verify(BODY, headers)


def test_the_official_verifier_rejects_a_changed_body_an_old_timestamp_and_another_id() -> None:
    secret = new_secret()
    headers = webhook_headers([secret], "evt_1", datetime.now(UTC), BODY)
    changed = BODY.replace("image.ready", "image.reaDy")
    assert len(changed) == len(BODY)
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(secret).verify(changed, headers)
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(secret).verify(BODY, {**headers, "webhook-id": "evt_2"})
    stale = webhook_headers([secret], "evt_1", datetime.now(UTC) - timedelta(minutes=6), BODY)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, stale)


def test_the_schedule_is_immediate_then_5s_5min_30min_2h_5h_10h_10h_with_jitter() -> None:
    assert RETRY_DELAYS == (5, 300, 1800, 7200, 18000, 36000, 36000) and MAX_ATTEMPTS == 8
    rng = random.Random(7)
    for failed, base in enumerate(RETRY_DELAYS, start=1):
        waits = [delay_after(failed, rng) for _ in range(200)]
        assert all(w is not None and base * (1 - JITTER) <= w <= base * (1 + JITTER) for w in waits)
        assert len({round(w or 0, 3) for w in waits}) > 150  # jittered, not one value
        assert all(visibility_for(timedelta(seconds=w or 0)) <= SQS_MAX_VISIBILITY for w in waits)
    assert delay_after(MAX_ATTEMPTS, rng) is None  # the eighth failure was the last


def test_retry_after_waits_at_least_as_long_as_asked() -> None:
    rng = random.Random(1)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("Thu, 01 Jan 2026 00:10:00 GMT", now) == 600
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None
    assert (delay_after(1, rng, retry_after=900) or 0) >= 900  # more than the 5 s the schedule says
    assert (delay_after(3, rng, retry_after=10) or 0) >= 1800 * (1 - JITTER)  # never less than the schedule
    assert visibility_for(timedelta(hours=30)) == SQS_MAX_VISIBILITY  # longer waits span two receives
