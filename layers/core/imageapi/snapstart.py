"""Lambda SnapStart runtime hooks (docs/decisions.md).

With SnapStart, Lambda runs the init phase once per published version, snapshots the memory, and
resumes every new execution environment from that snapshot. Whatever init left behind is then
shared by all of them: the boto3 session and clients (credentials resolved before the snapshot,
pooled connections that no longer exist), the ``random`` state (botocore's retry jitter: every
restored environment would back off in step), and anything cached per container by
``imageapi.context`` (settings, signing keys and the cursor key read from Secrets Manager, the use
cases built on the clients). ``context`` registers these hooks when it is imported.
"""

import importlib
import random
import sys
from types import ModuleType
from typing import Any


def before_snapshot() -> None:
    """Warm what every function's first request needs into the snapshot: boto3 imported and its
    service models loaded (by building the clients, dropped again after the restore)."""
    from imageapi import context

    context.s3_client()
    context.dynamodb_client()


def after_restore() -> None:
    """Give each restored environment its own state: a new random seed, a new boto3 default
    session (fresh credentials), and no client, cache or use case from before the snapshot."""
    random.seed()
    boto3: Any = sys.modules.get("boto3")  # only when a client was built: nothing to drop otherwise
    if boto3 is not None:
        boto3.DEFAULT_SESSION = None
    from imageapi import context

    context.rebuild()


def register_snapstart_hooks(runtime: ModuleType | None = None) -> bool:
    """Register the hooks with ``snapshot_restore_py`` (only the Lambda runtime ships it; the
    registrations are inert where SnapStart is off). True when registered."""
    if runtime is None:
        try:
            runtime = importlib.import_module("snapshot_restore_py")
        except ImportError:  # local stack, tests, benchmarks
            return False
    runtime.register_before_snapshot(before_snapshot)
    runtime.register_after_restore(after_restore)
    return True
