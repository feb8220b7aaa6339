"""End-to-end: the whole local stack (moto behind S3's POST-policy rules, the local gateway with
JWT checks, the SQS poller feeding ingest) on free ports, driven over HTTP like a client."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness.http import Client
from tests.harness.stack import local_stack


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with local_stack(tmp_path_factory.mktemp("local-state"), "e2e") as running:
        yield running


@pytest.fixture(scope="package")
def alice(stack: Any) -> Client:
    return Client(stack.api_url, stack.token("alice"))


@pytest.fixture(scope="package")
def bob(stack: Any) -> Client:
    return Client(stack.api_url, stack.token("bob"))
