"""Fair sharing (issue #15) over the local stack: one owner looping on a costly route gets 429
with Retry-After after the configured limit (a template parameter), and nobody else notices."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness.http import Client, assert_problem
from tests.harness.images import png
from tests.harness.stack import local_stack

LIMIT = 3


@pytest.fixture(scope="module")
def limited_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    overrides = {"RateLimitDirectUploads": str(LIMIT), "RateLimitWindowSeconds": "3600"}
    with local_stack(tmp_path_factory.mktemp("rel-fair"), "rel-fair", pollers=False, overrides=overrides) as s:
        yield s


def _upload(client: Client, title: str) -> Any:
    return client.request("POST", "/images", params={"title": title}, data=png(), headers={"Content-Type": "image/png"})


def test_an_owner_over_the_limit_gets_429_and_others_do_not(limited_stack: Any) -> None:
    greedy = Client(limited_stack.api_url, limited_stack.token("greedy"))
    statuses = [_upload(greedy, f"loop {n}").status_code for n in range(LIMIT)]
    assert statuses == [201] * LIMIT
    refused = _upload(greedy, "one more")
    problem = assert_problem(refused, 429)
    assert problem["type"] == "urn:image-api:problem:rate-limited" and problem["limit"] == LIMIT
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert refused.headers["Content-Type"] == "application/problem+json"

    patient = Client(limited_stack.api_url, limited_stack.token("patient"))
    assert _upload(patient, "mine").status_code == 201
    # The presigned way is not a costly route: the limited owner can still use it.
    created, _ = greedy.presigned_upload("presigned", png(), "image/png")
    assert created.status_code == 201


def test_health_publishes_the_configured_limit(limited_stack: Any) -> None:
    health = Client(limited_stack.api_url, None).request("GET", "/health").json()
    assert health["limits"]["rate_limits"]["direct-upload"] == LIMIT
    assert health["limits"]["rate_limit_window_seconds"] == 3600
