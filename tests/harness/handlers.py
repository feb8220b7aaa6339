"""Running the real handlers in-process: loading a function's app.py, and Lambda's context object."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType


class FakeContext:
    """The attributes of Lambda's context object that Powertools reads."""

    function_version = "$LATEST"

    def __init__(self, function_name: str = "test-function", memory_mb: int = 256, timeout_ms: int = 10_000) -> None:
        self.function_name = function_name
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.aws_request_id = "test-request"
        self._timeout_ms = timeout_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._timeout_ms


ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"


def load_handler(function: str, module_name: str | None = None) -> ModuleType:
    """A fresh instance of functions/<function>/app.py, as one Lambda container holds it (every
    handler file is called app.py, so each instance gets a module name of its own). Tests that call
    handlers from several threads read their own events, as separate Lambda containers would
    (``isolate_router_state``: Powertools keeps the current event on a shared class)."""
    from local.runtime.handlers import isolate_router_state

    isolate_router_state()
    spec = importlib.util.spec_from_file_location(
        module_name or f"functions_{function}_app", ROOT / "functions" / function / "app.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def modules_after_cold_load(function: str) -> frozenset[str]:
    """Every module a fresh interpreter holds once functions/<function>/app.py is loaded: what a
    cold start imports. One interpreter per function per test process, shared by the tests that
    read it (tests/unit/test_architecture.py, tests/unit/test_cold_start.py)."""
    script = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('app', {str(ROOT / 'functions' / function / 'app.py')!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "core"), str(ROOT)])}
    env["POWERTOOLS_TRACE_DISABLED"] = "true"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True, cwd=ROOT
    )
    return frozenset(json.loads(result.stdout.strip().splitlines()[-1]))
