"""Stopping `make sam-dev` (issue 21): run as a user runs it, in a session of its own, after a real
session that warms function containers; then a SIGTERM to its process group, or a SIGKILL of the
stack process followed by the next start. Afterwards nothing may be left: no process it started
(make, the stack, sam local, dockerd, containerd, the containers' shims and processes), no
container (in the engine's data root, or in the machine's engine), no private engine (its
directory with socket, pidfile and exec root), no bridge it made.

These need the private engine's data root to themselves (a `make sam-dev` of their own starts
the engine), so tests/containers/conftest.py runs them before the session's shared engine starts.
STOP_REPEATS repeats each (tests/harness/stopping.py; `make test-stop` runs 20).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests

from local.containers.engine import CACHE_DIR, DEFAULT_SOCKET
from local.containers.leftovers import bridges, processes_mentioning
from local.containers.samdev import SAM_CONTAINERS
from tests.harness.http import Client
from tests.harness.images import jpeg
from tests.harness.stopping import SAM_DEV_DEADLINE_S, STOP_REPEATS, MakeRun, StopLog, describe, port_free, repeats

READY_TIMEOUT_S = 900  # the first start may build the Lambda base image and run sam build
WARM_CONTAINERS = 5
SIGTERM_AFTER_A_SESSION = f"make sam-dev: SIGTERM to the group after a session warming >= {WARM_CONTAINERS} containers"
SIGKILL_CHILDREN_GONE = "make sam-dev: SIGKILL of the stack, its children gone by their parent-death signal"
SIGKILL_NEXT_START = "make sam-dev: the next start after a SIGKILL cleans up; SIGTERM to its group"


@dataclass
class Engine:
    """The engine a `make sam-dev` run uses: its private dockerd (found in the run's process
    tree), or the machine's."""

    docker_host: str
    work: Path | None = None  # the private engine's directory: socket, pidfile, exec root
    data_root: Path | None = None
    processes: list[psutil.Process] = field(default_factory=list)

    @classmethod
    def of(cls, run: MakeRun) -> Engine:
        for proc in run.tree():
            with contextlib.suppress(psutil.Error):
                args = proc.cmdline()
                if args and Path(args[0]).name == "dockerd":
                    work = Path(args[args.index("--exec-root") + 1]).parent
                    data_root = Path(args[args.index("--data-root") + 1])
                    return cls(f"unix://{work / 'docker.sock'}", work, data_root, _engine_processes(work))
        return cls(os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}")

    def docker(self, *args: str) -> list[str]:
        env = {**os.environ, "DOCKER_HOST": self.docker_host}
        out = subprocess.run(["docker", *args], env=env, capture_output=True, text=True, timeout=60, check=True)
        return out.stdout.split()

    def sam_containers(self) -> list[str]:
        return self.docker("ps", "-aq", "--no-trunc", "--filter", SAM_CONTAINERS)

    def containers_left(self, seen: list[str]) -> list[str]:
        """Of ``seen``, the containers still there after the stop."""
        if self.work is None:  # the machine's engine runs on: ask it
            return [c for c in self.docker("ps", "-aq", "--no-trunc") if c in seen]
        assert self.data_root is not None
        # a private engine is gone after the stop: its data root lists what it still holds
        held = {p.name for p in (self.data_root / "containers").glob("*")}
        return sorted(held) if self.data_root.is_relative_to(CACHE_DIR) else [c for c in seen if c in held]


def _engine_processes(work: Path) -> list[psutil.Process]:
    """containerd, the shims and the containers' processes: nothing may outlive the stop. (A
    container's process may end while we look: it is then simply not listed.)"""
    found = processes_mentioning(str(work))
    procs = {p.pid: p for p in found}
    for proc in found:
        with contextlib.suppress(psutil.Error):
            procs.update({c.pid: c for c in proc.children(recursive=True)})
    return list(procs.values())


def warm_session(run: MakeRun, token: str) -> None:
    """A user's session: upload through to ready (upload, ingest, get), list, analysis, a
    transform (PATCH), an on-demand rendition (download), delete."""
    client = Client(run.api, token)

    def call(status: int, method: str, path: str, **kwargs: Any) -> requests.Response:
        # A cold start past the function's timeout on a loaded machine answers 502, as Lambda
        # would; the user tries again, and so does this session (it is here to warm containers).
        for _ in range(3):
            response = client.request(method, path, **kwargs)
            if response.status_code != 502:
                break
        assert response.status_code == status, (method, path, response.status_code, response.text[:300])
        return response

    created, s3 = client.presigned_upload("stop me", jpeg(640, 480), "image/jpeg")
    assert created.status_code == 201, created.text
    assert s3 is not None and s3.status_code == 204, s3.text if s3 is not None else None
    image_id = created.json()["image"]["id"]
    assert client.wait_for(image_id, timeout=180)["status"] == "ready"
    call(200, "GET", "/images")
    call(200, "GET", f"/images/{image_id}/analysis")
    call(200, "PATCH", f"/images/{image_id}", json={"title": "smaller", "width": 320})
    call(302, "GET", f"/images/{image_id}/download", params={"w": 100, "format": "webp"})
    call(204, "DELETE", f"/images/{image_id}")


@pytest.fixture
def bridges_before() -> Iterator[set[str]]:
    yield bridges()


def _token(run: MakeRun) -> str:
    return str(Client(run.api, None).request("GET", "/_local/token", params={"sub": "stopper"}).json()["token"])


def _started(make_run: Callable[..., MakeRun], name: str) -> MakeRun:
    run = make_run("sam-dev", name).start()
    run.wait_ready(READY_TIMEOUT_S)
    return run


def _assert_nothing_left(
    run: MakeRun, engine: Engine, procs: list[psutil.Process], containers: list[str], before: set[str]
) -> None:
    """Checked after the stop: processes, containers, the private engine, bridges, ports."""
    left = [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not left, f"processes left: {describe(left)}"
    assert engine.containers_left(containers) == [], "containers left in the engine"
    if engine.work is not None:
        assert not engine.work.exists(), f"the private engine's directory is left: {engine.work}"
        assert not processes_mentioning(str(engine.work)), "a process of the private engine is left"
    assert bridges() <= before, f"bridges left: {sorted(bridges() - before)}"
    assert port_free(run.port) and port_free(run.moto_port), "a port of the stopped stack is still bound"


@repeats()
def test_sigterm_to_make_sam_dev_group_after_a_warm_session_leaves_no_process_container_engine_or_bridge(
    make_run: Callable[..., MakeRun], record_property: Any, bridges_before: set[str], repetition: int
) -> None:
    stops = StopLog(record_property, SIGTERM_AFTER_A_SESSION)
    run = _started(make_run, "sam-dev")
    warm_session(run, _token(run))
    engine = Engine.of(run)
    containers = engine.sam_containers()
    assert len(containers) >= WARM_CONTAINERS, f"only {len(containers)} warm containers"
    procs = list({p.pid: p for p in [*run.tree(), *engine.processes]}.values())
    since = time.monotonic()
    run.signal_group(signal.SIGTERM)
    seconds = run.wait_gone(procs, SAM_DEV_DEADLINE_S, since)
    stops.took(SIGTERM_AFTER_A_SESSION, seconds)
    record_property("warm_containers", len(containers))
    _assert_nothing_left(run, engine, procs, containers, bridges_before)
    assert "\nstopped" in run.tail(), run.tail()


@pytest.mark.timeout(900 + 300 * STOP_REPEATS)
def test_sigkill_of_sam_dev_stack_then_each_next_start_cleans_up_and_the_last_stops_leaving_nothing(
    make_run: Callable[..., MakeRun], record_property: Any, bridges_before: set[str]
) -> None:
    """A chain of STOP_REPEATS kills: each run's stack process is SIGKILLed once it answered
    GET /health (from a warm container, which is left behind); its children must follow by their
    parent-death signal; the next start, on the same ports, must find and remove what is left and
    serve. The last run is stopped with SIGTERM to its group and must leave nothing."""
    stops = StopLog(record_property, SIGKILL_CHILDREN_GONE, SIGKILL_NEXT_START)
    run = _started(make_run, "sam-dev-0")
    for n in range(1, STOP_REPEATS + 1):
        killed = Engine.of(run)
        killed_containers = killed.sam_containers()
        assert killed_containers  # at least the warm container that answered GET /health
        procs = run.tree()  # make, the stack, sam local, dockerd, containerd
        since = time.monotonic()
        run.stack_process().kill()
        # sam local and dockerd get their parent-death signal: none outlives the stack
        stops.took(SIGKILL_CHILDREN_GONE, run.wait_gone(procs, SAM_DEV_DEADLINE_S, since))

        run = make_run("sam-dev", f"sam-dev-{n}", ports=(run.port, run.moto_port))
        run.start().wait_ready(READY_TIMEOUT_S)
        engine = Engine.of(run)
        # the next start found the killed run's leftovers and removed them: its engine directory,
        # containers, and any container shim dockerd's own shutdown missed (a container it was
        # starting at the moment of the kill)
        if killed.work is not None:
            assert not killed.work.exists(), f"run {n}: the killed run's engine directory is still there"
            assert not processes_mentioning(str(killed.work)), f"run {n}: the killed run's engine processes"
        left = [p for p in killed.processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert not left, f"run {n}: the killed run's engine processes: {describe(left)}"
        assert not set(killed_containers) & set(engine.docker("ps", "-aq", "--no-trunc")), f"run {n}: containers"
        assert bridges() <= bridges_before | {"docker0"}, f"run {n}: bridges {sorted(bridges() - bridges_before)}"

    assert Client(run.api, _token(run)).request("GET", "/images").status_code == 200
    engine = Engine.of(run)
    containers = engine.sam_containers()
    procs = list({p.pid: p for p in [*run.tree(), *engine.processes]}.values())
    since = time.monotonic()
    run.signal_group(signal.SIGTERM)
    stops.took(SIGKILL_NEXT_START, run.wait_gone(procs, SAM_DEV_DEADLINE_S, since))
    _assert_nothing_left(run, engine, procs, containers, bridges_before)
