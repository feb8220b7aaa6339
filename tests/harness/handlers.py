"""Running the real handlers in-process: loading a function's app.py, and Lambda's context object."""

from __future__ import annotations

import importlib.util
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
    handler file is called app.py, so each instance gets a module name of its own)."""
    spec = importlib.util.spec_from_file_location(
        module_name or f"functions_{function}_app", ROOT / "functions" / function / "app.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
