"""Fixtures shared by every suite: a real moto server on a free loopback port, and the
environment that points boto3 at it. Nothing here mocks our own code."""

import os
import socket
from collections.abc import Iterator

import pytest

# The shared harness (tests/harness): fixtures every suite may use.
pytest_plugins = ["tests.harness.usecases", "tests.harness.stopping"]

# Every suite is named by its kind (docs/architecture.md, "Where a test goes"); the folder gives
# each test its kind marker, so `-m unit`, `-m "not e2e"` and `make test-fast` select by kind.
KINDS = {"unit", "integration", "e2e", "browser", "template", "local", "containers"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.path.relative_to(config.rootpath).parts
        if len(parts) > 1 and parts[0] == "tests" and parts[1] in KINDS:
            item.add_marker(parts[1])
        # pytest-xdist with --dist loadgroup (make test, make test-fast): an e2e module's tests
        # share a stack and what it ingested, so they stay on one worker; the browser suite
        # shares one stack and one Chromium, so it stays together too. Everything else is
        # spread test by test.
        if "browser" in parts:
            item.add_marker(pytest.mark.xdist_group("browser"))
        elif "containers" in parts:
            # One Docker engine per session: a second worker would start a second private one.
            item.add_marker(pytest.mark.xdist_group("containers"))
        elif "e2e" in parts:
            item.add_marker(pytest.mark.xdist_group("/".join(parts)))


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
def moto_endpoint() -> Iterator[str]:
    """The local AWS endpoint of `make dev`: moto's server, with S3's POST-policy rules and
    DynamoDB's per-request atomicity added (local/aws/endpoint.py)."""
    from local.aws import LocalAwsServer

    server = LocalAwsServer(port=0)
    server.start()
    yield server.url
    server.stop()
