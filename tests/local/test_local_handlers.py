"""The in-process runtime's handler registry: like Lambda, one instance of a function's module (one
"container") serves one invocation at a time, and concurrent invocations get instances of their
own. Two requests sharing one instance read each other's routes and parameters (seen as 500s and
wrong download URLs under the `imageapi` command's concurrent export before the registry pooled
instances). Powertools also keeps the current event on a class every resolver shares: two
concurrent uploads got each other's presigned forms (EntityTooLarge under `make test-stress`)
until the registry made it per thread."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from local.runtime.handlers import HandlerRegistry
from local.template import FunctionSpec

HANDLER = """
IN_FLIGHT = 0
PEAK = 0


def handler(event, context):
    global IN_FLIGHT, PEAK
    IN_FLIGHT += 1
    PEAK = max(PEAK, IN_FLIGHT)
    try:
        event["barrier"].wait(timeout=30)  # every caller inside a function at once
        return {"instance": __name__, "n": event["n"]}
    finally:
        IN_FLIGHT -= 1
"""


RESOLVER_HANDLER = """
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

app = APIGatewayHttpResolver()


@app.post("/echo")
def echo():
    app.current_event.raw_event["barrier"].wait(timeout=30)  # every request resolved before any reads
    return {"body": app.current_event.json_body, "path": app.current_event.raw_path}


def handler(event, context):
    return app.resolve(event, context)
"""


def _function(tmp_path: Path, source: str = HANDLER, name: str = "PooledFunction") -> FunctionSpec:
    (tmp_path / "app.py").write_text(source)
    return FunctionSpec(
        logical_id=name,
        code_dir=tmp_path,
        handler="app.handler",
        memory_mb=128,
        timeout_s=30,
        environment={},
    )


def test_concurrent_invocations_each_get_an_instance_of_their_own(tmp_path: Path) -> None:
    registry = HandlerRegistry()
    fn = _function(tmp_path)
    barrier = threading.Barrier(4)

    def call(n: int) -> dict[str, Any]:
        return registry.invoke(fn, {"barrier": barrier, "n": n})

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(call, range(4)))
    assert [a["n"] for a in answers] == [0, 1, 2, 3]  # each call got its own event back
    assert len({a["instance"] for a in answers}) == 4 and registry.instances(fn) == 4
    import sys

    assert all(sys.modules[a["instance"]].PEAK == 1 for a in answers)  # never two at once in one instance

    alone = registry.invoke(fn, {"barrier": threading.Barrier(1), "n": 9})
    assert alone["n"] == 9 and registry.instances(fn) == 4  # an idle instance is reused
    assert registry.get(fn) is sys.modules["_local_fn_PooledFunction"].handler  # the first keeps its name


def _http_event(n: int, barrier: threading.Barrier) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "POST /echo",
        "rawPath": "/echo",
        "rawQueryString": f"n={n}",
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": "POST", "path": "/echo"}, "stage": "$default", "requestId": str(n)},
        "body": json.dumps({"n": n}),
        "isBase64Encoded": False,
        "barrier": barrier,
    }


def test_concurrent_requests_each_read_their_own_event_through_powertools(tmp_path: Path) -> None:
    """Four requests inside four instances of one Powertools function at once: each reads its own
    body. (Powertools writes the current event to ``BaseRouter``, a class all resolvers share; before
    the registry made it per thread, all four read the last one written.)"""
    registry = HandlerRegistry()
    fn = _function(tmp_path, RESOLVER_HANDLER, "EchoFunction")
    barrier = threading.Barrier(4)

    def call(n: int) -> dict[str, Any]:
        answer = registry.invoke(fn, _http_event(n, barrier))
        assert answer["statusCode"] == 200, answer
        return dict(json.loads(answer["body"]))

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(call, range(4)))
    assert [a["body"]["n"] for a in answers] == [0, 1, 2, 3]
    assert registry.instances(fn) == 4
