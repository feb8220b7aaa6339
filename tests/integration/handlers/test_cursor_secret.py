"""The list cursors' key lives in Secrets Manager, not in the environment (issue #21): read on the
first cursor, once per container; a rotation keeps the cursors handed out in the last hour valid
(the previous version verifies for an hour after the new one was created), on a settable clock."""

from __future__ import annotations

import os
from typing import Any

import pytest

from imageapi import context
from imageapi.adapters.cursor_keys import SecretsManagerKeySource
from imageapi.domain.cursors import PREVIOUS_KEY_GRACE_SECONDS, REFRESH_INTERVAL_SECONDS, CursorCodec
from imageapi.domain.errors import BadRequest
from local.aws import client


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def secret(aws: Any, moto_endpoint: str) -> Any:
    """A secret of its own (the template's is shared by the other tests), with a first version."""
    sm = client("secretsmanager", moto_endpoint)
    name = f"cursor-test-{os.urandom(4).hex()}"
    arn = sm.create_secret(Name=name, SecretString="first-cursor-key-value-0123456789")["ARN"]
    return sm, arn


def _rotate(sm: Any, arn: str, value: str) -> float:
    """What a rotation does: a new AWSCURRENT version; the old one becomes AWSPREVIOUS."""
    sm.put_secret_value(SecretId=arn, SecretString=value)
    return sm.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["CreatedDate"].timestamp()


def test_the_functions_get_the_secrets_arn_and_never_its_value(aws: Any) -> None:
    assert "CURSOR_SECRET" not in aws.environment
    assert aws.environment["CURSOR_SECRET_ARN"].startswith("arn:aws:secretsmanager:")
    assert "CURSOR_SECRET" not in os.environ


def test_a_rotation_keeps_last_hours_cursors_and_retires_them_after(secret: Any) -> None:
    sm, arn = secret
    clock = Clock(0.0)
    codec = CursorCodec(SecretsManagerKeySource(sm, arn), clock=clock)
    loaded_at = clock.now = sm.get_secret_value(SecretId=arn)["CreatedDate"].timestamp() + 10
    old_cursor = codec.encode({"after": "01OLD"}, "alice")

    rotated_at = _rotate(sm, arn, "second-cursor-key-value-9876543210")
    clock.now = rotated_at + 5
    warm = codec  # a container that read the keys before the rotation
    cold = CursorCodec(SecretsManagerKeySource(sm, arn), clock=clock)  # one started after it
    new_cursor = cold.encode({"after": "01NEW"}, "alice")
    assert new_cursor.rsplit(".", 1)[1] != old_cursor.rsplit(".", 1)[1]  # signed by the new key

    assert cold.decode(old_cursor, "alice") == {"after": "01OLD"}  # the previous key still verifies
    # The warm one reads the keys again for an unknown key id (once its last read is old enough).
    clock.now = max(clock.now, loaded_at + REFRESH_INTERVAL_SECONDS)
    assert warm.decode(new_cursor, "alice") == {"after": "01NEW"}
    assert warm.encode({"after": "01X"}, "alice").rsplit(".", 1)[1] == new_cursor.rsplit(".", 1)[1]

    clock.now = rotated_at + PREVIOUS_KEY_GRACE_SECONDS - 1
    assert cold.decode(old_cursor, "alice") == {"after": "01OLD"}
    clock.now = rotated_at + PREVIOUS_KEY_GRACE_SECONDS
    for codec_ in (cold, warm):
        with pytest.raises(BadRequest, match="invalid"):
            codec_.decode(old_cursor, "alice")
    assert cold.decode(new_cursor, "alice") == {"after": "01NEW"}


def test_unknown_key_ids_reread_the_secret_at_most_once_a_minute(secret: Any) -> None:
    """A forged key id cannot make every request call Secrets Manager."""
    sm, arn = secret
    reads: list[str] = []

    class CountingSource(SecretsManagerKeySource):
        def load(self) -> Any:
            reads.append("load")
            return super().load()

    clock = Clock(1_000_000.0)
    codec = CursorCodec(CountingSource(sm, arn), clock=clock)
    cursor = codec.encode({"after": "01A"}, "alice")
    payload, mac, _ = cursor.split(".")
    for _ in range(5):
        with pytest.raises(BadRequest):
            codec.decode(f"{payload}.{mac}.0badc0de", "alice")
    assert len(reads) == 1  # the first read; no refresh within the interval
    clock.now += REFRESH_INTERVAL_SECONDS
    with pytest.raises(BadRequest):
        codec.decode(f"{payload}.{mac}.0badc0de", "alice")
    assert len(reads) == 2


def _next(page: Any) -> str:
    cursor = page.json()["next_cursor"]
    assert cursor
    return str(cursor)


def test_the_list_handler_pages_across_a_rotation(aws: Any, api: Any, moto_endpoint: str) -> None:
    """Through the real handler: a warm container's cursor keeps working after a rotation, and one
    signed by the new key (by another container) works in the warm one."""
    sm = client("secretsmanager", moto_endpoint)
    arn = aws.environment["CURSOR_SECRET_ARN"]
    owner = f"rotation-{os.urandom(3).hex()}"
    for n in range(3):
        created = api.call(
            "upload",
            "upload_create.json",
            body={"title": f"rotation {n}", "content_type": "image/png", "size": 100},
            sub=owner,
        )
        assert created.status == 201
    first = api.call("list", "list_images.json", query={"limit": "1", "status": "pending"}, sub=owner)
    assert first.status == 200 and first.json()["next_cursor"]
    _rotate(sm, arn, f"rotated-key-{os.urandom(8).hex()}")
    second = api.call(
        "list",
        "list_images.json",
        query={"limit": "1", "status": "pending", "cursor": first.json()["next_cursor"]},
        sub=owner,
    )
    assert second.status == 200 and len(second.json()["items"]) == 1

    context.rebuild()  # a new container: it reads the rotated secret and signs with the new key
    third = api.call(
        "list",
        "list_images.json",
        query={"limit": "1", "status": "pending", "cursor": second.json()["next_cursor"]},
        sub=owner,
    )
    assert third.status == 200 and len(third.json()["items"]) == 1
    titles = {page.json()["items"][0]["title"] for page in (first, second, third)}
    assert titles == {"rotation 0", "rotation 1", "rotation 2"}

    issued = third.json()["next_cursor"] or second.json()["next_cursor"]
    payload, mac, key_id = issued.split(".")
    # One character of the MAC changed, always to a different one (a fixed "0" was no change
    # whenever the cursor already ended in 0: a flaky test).
    tampered = ".".join([payload, ("B" if mac[0] == "A" else "A") + mac[1:], key_id])
    bad = api.call("list", "list_images.json", query={"limit": "1", "status": "pending", "cursor": tampered}, sub=owner)
    assert bad.status == 400 and bad.json()["status"] == 400
