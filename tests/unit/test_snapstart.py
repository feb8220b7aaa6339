"""Lambda SnapStart hooks (issue #15): what ``imageapi.context`` refreshes after a restore, and
how it registers with the runtime's ``snapshot_restore_py`` (absent outside Lambda)."""

import random
from collections.abc import Callable, Iterator
from types import ModuleType

import boto3
import pytest

from imageapi import context, snapstart


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "TABLE_NAME": "snap-table",
    }.items():
        monkeypatch.setenv(name, value)
    context.rebuild()
    yield
    context.rebuild()


def test_hooks_register_with_the_runtime_library() -> None:
    registered: dict[str, Callable[[], None]] = {}
    runtime = ModuleType("snapshot_restore_py")
    runtime.register_before_snapshot = lambda hook: registered.setdefault("before", hook)  # type: ignore[attr-defined]
    runtime.register_after_restore = lambda hook: registered.setdefault("after", hook)  # type: ignore[attr-defined]
    assert snapstart.register_snapstart_hooks(runtime) is True
    assert registered == {"before": snapstart.before_snapshot, "after": snapstart.after_restore}


def test_without_the_runtime_library_nothing_is_registered() -> None:
    with pytest.raises(ImportError):
        __import__("snapshot_restore_py")
    assert snapstart.register_snapstart_hooks() is False


def test_before_snapshot_builds_the_clients_into_the_snapshot(lambda_env: None) -> None:
    snapstart.before_snapshot()
    assert context.s3_client.cache_info().currsize == 1 and context.dynamodb_client.cache_info().currsize == 1


def test_after_restore_refreshes_clients_session_seed_and_caches(lambda_env: None) -> None:
    snapstart.before_snapshot()
    clients = (context.s3_client(), context.dynamodb_client())
    service, limiter, settings = context.image_service(), context.rate_limiter(), context.get_settings()
    codec = context.cursor_codec()  # holds the cursor key read from Secrets Manager
    session = boto3.DEFAULT_SESSION
    assert session is not None
    random.seed(1234)  # what the snapshot would carry into every restored environment
    snapshot_sequence = [random.random() for _ in range(3)]
    random.seed(1234)

    snapstart.after_restore()

    assert [random.random() for _ in range(3)] != snapshot_sequence, "a restored environment reseeds"
    assert boto3.DEFAULT_SESSION is None, "credentials are resolved again by a new session"
    assert context.s3_client() is not clients[0] and context.dynamodb_client() is not clients[1]
    assert boto3.DEFAULT_SESSION is not session
    assert (
        context.image_service() is not service and context.image_service().repository._db is context.dynamodb_client()
    )
    assert context.rate_limiter() is not limiter and context.get_settings() is not settings
    assert context.cursor_codec() is not codec, "the cursor key is read again after a restore"
