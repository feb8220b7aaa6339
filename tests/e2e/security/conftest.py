"""One local stack for the whole security suite, with URL import allowed to reach loopback
(IMPORT_ALLOW_PRIVATE_NETWORKS=true) so a local file server can be the source."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness.http import Client
from tests.harness.stack import FileServer, local_stack


@pytest.fixture(scope="package")
def sec_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    # The per-owner rate limits are off here: this suite sends hundreds of uploads and imports per
    # owner on purpose (hostile files, fuzzing); tests/e2e/spine proves the limits themselves.
    no_rate_limits = {
        "RateLimitUrlImports": "0",
        "RateLimitDirectUploads": "0",
        "RateLimitTransforms": "0",
        "RateLimitPredictions": "0",
        "RateLimitWebhooks": "0",
    }
    with local_stack(
        tmp_path_factory.mktemp("sec-state"), "sec", overrides=no_rate_limits, IMPORT_ALLOW_PRIVATE_NETWORKS="true"
    ) as running:
        yield running


@pytest.fixture(scope="session")
def files() -> Iterator[FileServer]:
    with FileServer() as server:
        yield server


@pytest.fixture(scope="package")
def owner_a(sec_stack: Any) -> Client:
    return Client(sec_stack.api_url, sec_stack.token("sec-owner-a"))


@pytest.fixture(scope="package")
def owner_b(sec_stack: Any) -> Client:
    return Client(sec_stack.api_url, sec_stack.token("sec-owner-b"))
