"""Fixtures shared by every suite: a real moto server on a free loopback port, and the
environment that points boto3 at it. Nothing here mocks our own code."""

import gc
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness import scheduling

# The shared harness (tests/harness): fixtures every suite may use.
pytest_plugins = ["tests.harness.usecases", "tests.harness.stopping"]

# Every suite is named by its kind (docs/architecture.md, "Where a test goes"); the folder gives
# each test its kind marker, so `-m unit`, `-m "not e2e"` and `make test-fast` select by kind.
KINDS = {"unit", "integration", "e2e", "browser", "template", "local", "containers"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.relative_to(config.rootpath)
        parts = path.parts
        if len(parts) > 1 and parts[0] == "tests" and parts[1] in KINDS:
            item.add_marker(parts[1])
        # pytest-xdist with --dist loadgroup (make test, make test-fast): the groups that stay on
        # one worker (tests/harness/scheduling.py); everything else is spread test by test.
        group = scheduling.group_of(path.as_posix())
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


def pytest_collection_finish(session: pytest.Session) -> None:
    """A test process holds what it imported and collected, and moto's whole state, for its
    life: the collector's full passes over them cost each worker 5-7 s of a fast run. What exists
    once collection is done is frozen out of the collector's reach, and collections are rarer
    (measured with gc.callbacks: 11.8 s of collection in the two workers, 6.6 s after)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """--dist loadgroup, with the groups decided from the test's path (pytest 9.2 loses xdist's)."""
    return scheduling.scheduler(config, log) if config.getvalue("dist") == "loadgroup" else None


LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "ServerlessImageApiTests",
    "POWERTOOLS_SERVICE_NAME": "image-api",
}
for _name, _value in LOCAL_ENV.items():
    os.environ.setdefault(_name, _value)
os.environ.pop("AWS_PROFILE", None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def local_aws() -> Iterator[Any]:
    """The local AWS endpoint of `make dev`: moto's server, with S3's POST-policy rules and
    DynamoDB's per-request atomicity added (local/aws/endpoint.py), running in this process."""
    from local.aws import LocalAwsServer

    server = LocalAwsServer(port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def moto_endpoint(local_aws: Any) -> str:
    return str(local_aws.url)
