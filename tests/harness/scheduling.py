"""Which tests pytest-xdist keeps on one worker (`make test`, `make test-fast`: ``-n 2 --dist loadgroup``).

A group's tests run on one worker, one after the other, so what they share (a module's or a
package's stack, a bulk-loaded table, one Chromium, one Docker engine) is built once. Every other
test is scheduled on its own, to whichever worker is free.

xdist 3.8 carries a test's ``xdist_group`` in its node id (``...::test@group``), which pytest 9.2
no longer lets a plugin change (pytest-xdist#1386): the marks were silently ignored and every
test went out on its own, so package and module fixtures were set up and torn down again each
time a worker switched between suites. The controller process collects nothing, so it cannot see
the marks either; the groups are therefore decided here from the node id's path, and
tests/conftest.py also sets them as marks (for `-m`, and for an xdist that honours marks again).
"""

from __future__ import annotations

from typing import Any

# Modules whose tests share something costly that only a module fixture holds.
ONE_WORKER_MODULES = {
    # A module fixture bulk-loads thousands of images into a table of its own.
    "tests/integration/handlers/test_read_cost.py",
}
# Modules that read the same costly measurement, cached per process: on one worker it is taken
# once. Both load every handler in a fresh interpreter (tests/harness/handlers.modules_after_cold_load).
SHARED_MODULES = {
    "tests/unit/test_architecture.py": "cold-load",
    "tests/unit/test_cold_start.py": "cold-load",
}
# Packages whose modules share a package fixture: on one worker it is built once, where spreading
# the modules built it again each time a worker came back to the package.
ONE_WORKER_PACKAGES = {
    # One local stack (and alice, bob) for the four spine modules (tests/e2e/spine/conftest.py).
    "tests/e2e/spine",
}


def group_of(path: str) -> str | None:
    """The xdist group of a test file (a path relative to the repository, with ``/``), or None."""
    parts = path.split("/")
    if "browser" in parts:  # one stack and one Chromium for the whole suite
        return "browser"
    if "containers" in parts:  # one Docker engine per session: a second worker would start a second private one
        return "containers"
    if path in SHARED_MODULES:
        return SHARED_MODULES[path]
    package = "/".join(parts[:-1])
    if package in ONE_WORKER_PACKAGES:
        return package
    if "e2e" in parts or path in ONE_WORKER_MODULES:  # an e2e module's tests share a stack and what it ingested
        return path
    return None


def scheduler(config: Any, log: Any) -> Any:
    """xdist's scope scheduling with the groups above as scopes (largest first, as loadscope does)."""
    from xdist.scheduler import LoadScopeScheduling

    class PathGroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.rfind("@") > nodeid.rfind("]"):  # an xdist whose marks reach the node id again
                return nodeid.rsplit("@", 1)[-1]
            return group_of(nodeid.split("::", 1)[0]) or nodeid

    return PathGroupScheduling(config, log)
