"""End-to-end: the whole local stack (moto behind S3's POST-policy rules, the local gateway with
JWT checks, the SQS poller feeding ingest) on free ports, driven over HTTP like a client."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from local.stack import LocalStack

    state = tmp_path_factory.mktemp("local-state")
    with LocalStack(port=0, moto_port=0, state_dir=state) as running:
        yield running


class Client:
    """A tiny API client with a bearer token, as a script would use the API."""

    def __init__(self, base: str, token: str | None) -> None:
        self.base = base
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        return self.session.request(method, self.base + path, **kwargs)

    def wait_for(self, image_id: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            image = self.request("GET", f"/images/{image_id}").json()
            if image["status"] != "pending" or time.monotonic() > deadline:
                return image
            time.sleep(0.2)


@pytest.fixture(scope="package")
def alice(stack: Any) -> Client:
    return Client(stack.api_url, stack.token("alice"))


@pytest.fixture(scope="package")
def bob(stack: Any) -> Client:
    return Client(stack.api_url, stack.token("bob"))


def assert_problem(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body
