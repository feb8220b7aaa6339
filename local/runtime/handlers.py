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


class _PerThread:
    """A data descriptor whose value belongs to the calling thread."""

    def __init__(self, state: threading.local, name: str) -> None:
        self._state = state
        self._name = name

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        try:
            return getattr(self._state, self._name)
        except AttributeError:
            raise AttributeError(self._name) from None

    def __set__(self, obj: object, value: Any) -> None:
        setattr(self._state, self._name, value)


_ROUTER_STATE_LOCK = threading.Lock()


def isolate_router_state() -> None:
    """Give each thread its own Powertools "current event".

    Powertools' event handler keeps the event it resolves on the class ``BaseRouter``
    (``BaseRouter.current_event = ...`` in ``resolve``), which is safe in Lambda, where a process
    serves one invocation at a time. Here concurrent invocations run on threads of one process, so
    two requests read each other's body, path and claims: under load, two uploads at once got each
    other's presigned forms (S3 then refused one with EntityTooLarge, sent 3389 bytes against 3372
    allowed). Both the class attribute (what ``resolve`` writes and ``Router`` reads) and the
    instance attribute (what a resolver's routes read) become per thread. Idempotent."""
    from abc import ABCMeta

    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    with _ROUTER_STATE_LOCK:
        if getattr(type(BaseRouter), "_local_per_thread", False):
            return
        state = threading.local()
        names = ("current_event", "lambda_context")
        # What an instance reads: found on the class, a data descriptor wins over the instance.
        for name in names:
            setattr(BaseRouter, name, _PerThread(state, name))

        # What `BaseRouter.current_event = ...` writes and reads: the metaclass's descriptor.
        class PerThreadRouterMeta(ABCMeta):
            _local_per_thread = True

        for name in names:
            setattr(PerThreadRouterMeta, name, _PerThread(state, name))
        BaseRouter.__class__ = PerThreadRouterMeta  # type: ignore[method-assign,assignment]


class HandlerRegistry:
    """Imports each function's handler module on first use, under a unique module name (every
    function's file is called app.py), with the layers' directories on sys.path.

    Like Lambda, an instance of a handler module (a "container": its resolver, its module state)
    serves one invocation at a time; concurrent invocations of a function get instances of their
    own, loaded on demand and reused. (Module state of a handler is its container's.) Powertools'
    current event, which it keeps on a class shared by every resolver, is made per thread
    (``isolate_router_state``)."""

    def __init__(self, layer_dirs: Iterable[Path] = ()) -> None:
        for directory in reversed([str(d) for d in layer_dirs if Path(d).is_dir()]):
            if directory not in sys.path:
                sys.path.insert(0, directory)
        isolate_router_state()
        self._lock = threading.Lock()
        self._handlers: dict[str, Handler] = {}
        self._idle: dict[str, list[Handler]] = {}
        self._instances: dict[str, int] = {}

    def get(self, fn: FunctionSpec) -> Handler:
        """The function's first instance (loaded once, even under concurrent first requests)."""
        with self._lock:
            return self._first(fn)

    def _first(self, fn: FunctionSpec) -> Handler:
        if fn.logical_id not in self._handlers:
            self._handlers[fn.logical_id] = self._load(fn)
            self._instances[fn.logical_id] = 1
            self._idle.setdefault(fn.logical_id, []).append(self._handlers[fn.logical_id])
        return self._handlers[fn.logical_id]

    def _checkout(self, fn: FunctionSpec) -> Handler:
        with self._lock:
            self._first(fn)
            idle = self._idle[fn.logical_id]
            if idle:
                return idle.pop()
            self._instances[fn.logical_id] += 1
            return self._load(fn, self._instances[fn.logical_id])

    def _checkin(self, fn: FunctionSpec, handler: Handler) -> None:
        with self._lock:
            self._idle[fn.logical_id].append(handler)

    def instances(self, fn: FunctionSpec) -> int:
        """How many instances of the function were loaded (the most invocations it had at once)."""
        with self._lock:
            return self._instances.get(fn.logical_id, 0)

    @staticmethod
    def _load(fn: FunctionSpec, instance: int = 1) -> Handler:
        module_path, _, attr = fn.handler.rpartition(".")
        file = fn.code_dir / (module_path.replace(".", "/") + ".py")
        if not file.is_file():
            raise FileNotFoundError(f"{fn.logical_id}: handler module {file} does not exist")
        name = f"_local_fn_{fn.logical_id}" + (f"_{instance}" if instance > 1 else "")
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
        handler = self._checkout(fn)
        try:
            return handler(event, LambdaContext(fn))
        finally:
            self._checkin(fn, handler)
