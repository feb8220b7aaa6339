"""The stage's throttling at the local gateway, as API Gateway applies it: a token bucket per
route (rate and burst from the HttpApi's DefaultRouteSettings / RouteSettings), answered with
API Gateway's own 429 before the authorizer or the function runs. A settable clock stands in for
time, so nothing here depends on how fast the machine is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from conftest import FIXTURES, REPO_ROOT

from local.edge.throttle import Limits, StageThrottle, TokenBucket
from local.stack import LocalStack
from local.template import load

ORIGIN = "https://app.example.com"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_the_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(Limits(rate=2, burst=3), clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.25  # half a token
    assert not bucket.take()
    clock.now += 0.25
    assert bucket.take() and not bucket.take()
    clock.now += 60  # never more than the burst, however long it waited
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_limits_come_from_the_template_and_its_parameters() -> None:
    real = StageThrottle.from_template(load(REPO_ROOT / "template.yaml"))
    assert real is not None and real.default == Limits(rate=50.0, burst=100)
    fixture = StageThrottle.from_template(
        load(FIXTURES / "template.yaml", parameter_overrides={"ThrottleRateLimit": "3"})
    )
    assert fixture is not None and fixture.default == Limits(rate=3.0, burst=11)
    assert fixture.routes == {"POST /echo": Limits(rate=1.0, burst=2)}
    assert Limits.from_settings({"DetailedMetricsEnabled": True}) is None


@pytest.fixture
def throttled(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """The package's stack with the fixture template's limits on a settable clock, for one test."""
    clock = Clock()
    assert stack.template is not None
    throttle = StageThrottle.from_template(stack.template, clock=clock)
    assert throttle is not None
    monkeypatch.setattr(stack.gateway, "throttle", throttle)
    yield clock


def _is_429(response: requests.Response) -> bool:
    if response.status_code != 429:
        return False
    assert response.text == '{"message":"Too Many Requests"}'
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["apigw-requestid"]
    return True


def test_the_gateway_answers_429_past_the_burst_and_serves_again_after_refill(
    stack: LocalStack, throttled: Clock
) -> None:
    url = stack.api_url + "/public"
    answers = [requests.get(url, timeout=10) for _ in range(13)]
    assert [r.status_code for r in answers[:11]] == [200] * 11  # the burst (11)
    assert all(_is_429(r) for r in answers[11:])
    throttled.now += 1.0  # 7 tokens a second
    again = [requests.get(url, timeout=10).status_code for _ in range(8)]
    assert again == [200] * 7 + [429]


def test_each_route_has_its_own_bucket_and_route_settings_override(stack: LocalStack, throttled: Clock) -> None:
    headers = {"Authorization": f"Bearer {stack.token('alice')}"}
    for _ in range(11):
        requests.get(stack.api_url + "/public", timeout=10)
    assert _is_429(requests.get(stack.api_url + "/public", timeout=10))
    assert requests.get(stack.api_url + "/echo/1", headers=headers, timeout=10).status_code == 200
    posts = [requests.post(stack.api_url + "/echo", json={}, headers=headers, timeout=10) for _ in range(3)]
    assert [r.status_code for r in posts[:2]] == [200, 200] and _is_429(posts[2])  # RouteSettings: burst 2


def test_throttling_comes_before_the_authorizer_and_keeps_cors(stack: LocalStack, throttled: Clock) -> None:
    url = stack.api_url + "/echo/1"
    first = [requests.get(url, timeout=10).status_code for _ in range(11)]
    assert first == [401] * 11  # no token: refused by the authorizer, but each request took a token
    refused = requests.get(url, headers={"Origin": ORIGIN}, timeout=10)
    assert _is_429(refused)
    assert refused.headers["Access-Control-Allow-Origin"] == ORIGIN  # a browser can read the 429


def test_preflights_local_routes_and_unknown_paths_are_not_throttled(stack: LocalStack, throttled: Clock) -> None:
    for _ in range(11):
        requests.get(stack.api_url + "/public", timeout=10)
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    assert requests.options(stack.api_url + "/public", headers=preflight, timeout=10).status_code == 204
    assert requests.get(stack.api_url + "/_local/jwks.json", timeout=10).status_code == 200
    assert requests.get(stack.api_url + "/nowhere", timeout=10).status_code == 404


def test_stacks_are_not_throttled_unless_asked(stack: LocalStack) -> None:
    assert stack.throttle is None
    with requests.Session() as session:
        codes = {session.get(stack.api_url + "/public", timeout=10).status_code for _ in range(150)}
    assert codes == {200}
