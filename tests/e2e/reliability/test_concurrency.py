"""Counts stay exact under concurrency (SPEC §5; issue 6 item 4): 200 concurrent requests over
HTTP against the local stack (whose DynamoDB applies each request atomically, as DynamoDB does),
with the image quota set low enough to be contended."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.reliability.stackutil import StackState
from tests.harness.http import Client
from tests.harness.stack import local_stack

QUOTA = 120


@pytest.fixture(scope="module")
def busy_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with local_stack(
        tmp_path_factory.mktemp("rel-busy"), "rel-busy", pollers=False, overrides={"QuotaMaxImages": str(QUOTA)}
    ) as s:
        yield s


@pytest.fixture(scope="module")
def state(busy_stack: Any) -> StackState:
    return StackState(busy_stack)


def _create(client: Client, size: int) -> Any:
    return client.request("POST", "/images", json={"title": f"c{size}", "content_type": "image/png", "size": size})


def _assert_counts_exact(client: Client, state: StackState, owner: str) -> list[dict[str, Any]]:
    records = state.images(owner)
    declared = sum(json.loads(item["doc"]["S"])["declared_bytes"] for item in records)
    assert state.quota(owner) == (len(records), declared)
    listed, cursor = [], None
    while True:
        page = client.request(
            "GET", "/images", params={"limit": "100", **({"cursor": cursor} if cursor else {})}
        ).json()
        listed += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(listed) == len(records) == len({i["id"] for i in listed})
    return records


def test_200_concurrent_creates_stop_exactly_at_the_quota(busy_stack: Any, state: StackState) -> None:
    owner = "rel-creates"
    client = Client(busy_stack.api_url, busy_stack.token(owner))
    with ThreadPoolExecutor(32) as pool:
        statuses = Counter(r.status_code for r in pool.map(lambda i: _create(client, 1000 + i), range(200)))
    assert statuses == {201: QUOTA, 429: 200 - QUOTA}, statuses
    assert len(_assert_counts_exact(client, state, owner)) == QUOTA


def test_200_concurrent_creates_and_deletes_leave_exact_counts(busy_stack: Any, state: StackState) -> None:
    owner = "rel-churn"
    client = Client(busy_stack.api_url, busy_stack.token(owner))
    with ThreadPoolExecutor(16) as pool:
        existing = [r.json()["image"]["id"] for r in pool.map(lambda i: _create(client, 500 + i), range(100))]
    assert len(_assert_counts_exact(client, state, owner)) == 100

    def act(i: int) -> tuple[str, int]:
        if i % 2:
            return "delete", client.request("DELETE", f"/images/{existing[i // 2]}").status_code
        return "create", _create(client, 2000 + i).status_code

    with ThreadPoolExecutor(32) as pool:
        outcomes = Counter(pool.map(act, range(200)))
    assert outcomes[("delete", 204)] == 100, outcomes
    created = outcomes[("create", 201)]
    assert created + outcomes[("create", 429)] == 100, outcomes
    assert created >= QUOTA - 100  # at least the free slots at the start
    records = _assert_counts_exact(client, state, owner)
    assert len(records) == created
    # A second delete of each is a 404 and changes nothing.
    with ThreadPoolExecutor(16) as pool:
        assert set(pool.map(lambda i: client.request("DELETE", f"/images/{i}").status_code, existing)) == {404}
    assert len(_assert_counts_exact(client, state, owner)) == created
