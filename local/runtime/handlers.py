"""Loading the functions' handlers in-process and calling them with a Lambda-like context."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from .. import ACCOUNT_ID, REGION
from ..template import FunctionSpec

Handler = Callable[[dict[str, Any], Any], Any]


class LambdaContext:
    """The attributes and method of the Python runtime's context object that handlers use."""

    def __init__(self, fn: FunctionSpec) -> None:
        self.function_name = fn.logical_id
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{fn.logical_id}"
        self.memory_limit_in_mb = fn.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{fn.logical_id}"
        self.log_stream_name = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + fn.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class HandlerRegistry:
    """Imports each function's handler module on first use, under a unique module name (every
    function's file is called app.py), with the layers' directories on sys.path."""

    def __init__(self, layer_dirs: Iterable[Path] = ()) -> None:
        for directory in reversed([str(d) for d in layer_dirs if Path(d).is_dir()]):
            if directory not in sys.path:
                sys.path.insert(0, directory)
        self._lock = threading.Lock()
        self._handlers: dict[str, Handler] = {}

    def get(self, fn: FunctionSpec) -> Handler:
        with self._lock:  # one import per function, even under concurrent first requests
            if fn.logical_id not in self._handlers:
                self._handlers[fn.logical_id] = self._load(fn)
            return self._handlers[fn.logical_id]

    @staticmethod
    def _load(fn: FunctionSpec) -> Handler:
        module_path, _, attr = fn.handler.rpartition(".")
        file = fn.code_dir / (module_path.replace(".", "/") + ".py")
        if not file.is_file():
            raise FileNotFoundError(f"{fn.logical_id}: handler module {file} does not exist")
        name = f"_local_fn_{fn.logical_id}"
        spec = importlib.util.spec_from_file_location(name, file)
        assert spec and spec.loader
        module: ModuleType = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        handler = getattr(module, attr, None)
        if not callable(handler):
            raise AttributeError(f"{fn.logical_id}: {file} has no callable {attr!r}")
        return handler

    def invoke(self, fn: FunctionSpec, event: dict[str, Any]) -> Any:
        return self.get(fn)(event, LambdaContext(fn))
