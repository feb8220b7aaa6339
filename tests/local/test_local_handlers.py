"""The in-process runtime's handler registry: like Lambda, one instance of a function's module (one
"container") serves one invocation at a time, and concurrent invocations get instances of their
own. A Powertools resolver keeps the current event on itself; two requests sharing one instance
read each other's routes and parameters (seen as 500s and wrong download URLs under the
`imageapi` command's concurrent export before the registry pooled instances)."""

from __future__ import annotations

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


def _function(tmp_path: Path) -> FunctionSpec:
    (tmp_path / "app.py").write_text(HANDLER)
    return FunctionSpec(
        logical_id="PooledFunction",
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
