"""Stopping the local stacks as a user does (issue 21): `make dev` or `make sam-dev` in a session
of its own (so a signal reaches make and the stack as Ctrl-C, `timeout` or `kill` on the group
does), the signal, and what is still there afterwards: processes, ports, containers, the private
engine, bridges.

Every stop is a functional deadline, not a benchmark: one that does not finish within
``DEV_DEADLINE_S`` (sam-dev: ``SAM_DEV_DEADLINE_S``) is a hang. Each test records how long its stop
took (``StopLog``); ``pytest_terminal_summary`` prints the count,
median and maximum per scenario. ``STOP_REPEATS`` (default 1; `make test-stop` runs 20) repeats
every scenario.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests

from local import REPO_ROOT
from tests.conftest import free_port

STOP_REPEATS = max(1, int(os.environ.get("STOP_REPEATS", "1")))
DEV_DEADLINE_S = 15.0
SAM_DEV_DEADLINE_S = 30.0
STOP_PROPERTY = "stop_seconds"


def repeats() -> Any:
    """``@repeats()``: the test once per repetition (STOP_REPEATS)."""
    return pytest.mark.parametrize("repetition", range(1, STOP_REPEATS + 1), ids=lambda n: f"run{n}")


def _gone(proc: psutil.Process) -> bool:
    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def describe(procs: Iterable[psutil.Process]) -> list[str]:
    out = []
    for proc in procs:
        try:
            out.append(f"{proc.pid} [{proc.status()}] {' '.join(proc.cmdline())[:200]}")
        except psutil.Error as exc:
            out.append(f"{proc.pid} ({type(exc).__name__})")
    return out


def port_free(port: int) -> bool:
    """Nothing listens on ``port``: a server (SO_REUSEADDR, as werkzeug binds) can take it again.
    Connections of the stopped stack may linger in TIME_WAIT; they hold no listener."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            return False
    return True


def sigint_default() -> None:
    """A child's Ctrl-C as from a terminal (Popen's preexec_fn). A shell without job control starts
    a background job (a CI runner's script, `cmd &`) with SIGINT ignored, every process under it
    inherits that, and Python keeps an inherited ignored SIGINT ignored: a test that sends SIGINT
    would then test nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class MakeRun:
    """`make <target>` with free ports, as a user runs it, in a new session and process group."""

    def __init__(
        self, target: str, log: Path, env: dict[str, str] | None = None, ports: tuple[int, int] | None = None
    ) -> None:
        self.target = target
        self.port, self.moto_port = ports or (free_port(), free_port())
        self.api = f"http://127.0.0.1:{self.port}"
        self.log = log
        # as from a shell: no outer make's flags (its command-line variables would win over PORT)
        caller = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        self._env = {**caller, **(env or {}), "PORT": str(self.port), "MOTO_PORT": str(self.moto_port)}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> MakeRun:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                ["make", "--no-print-directory", self.target],
                cwd=REPO_ROOT,
                env=self._env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                # as from a terminal: SIGINT not ignored, even when these tests run in the
                # background of a shell without job control (which ignores it for them)
                preexec_fn=sigint_default,
            )
        return self

    @property
    def pgid(self) -> int:
        assert self.proc is not None
        return self.proc.pid  # a session leader leads its own group

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def wait_ready(self, timeout: float) -> None:
        """Until GET /health answers 200 (a generous bound, not a timing)."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(self.api + "/health", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            assert self.proc.poll() is None, f"make {self.target} exited:\n{self.tail()}"
            assert time.monotonic() < deadline, f"make {self.target} did not answer in {timeout:.0f} s:\n{self.tail()}"
            time.sleep(0.2)

    def tree(self) -> list[psutil.Process]:
        """make and everything under it (the stack, and what the stack started in sessions of their own)."""
        assert self.proc is not None
        root = psutil.Process(self.proc.pid)
        try:
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:  # one ended while we looked: look again
            return [root, *root.children(recursive=True)]

    def stack_process(self) -> psutil.Process:
        """The stack's own Python process (make's child)."""
        for proc in self.tree()[1:]:
            with contextlib.suppress(psutil.Error):
                if "-m" in proc.cmdline() and proc.cmdline()[0].endswith("python"):
                    return proc
        raise AssertionError(f"no stack process under make {self.target}: {describe(self.tree())}")

    def signal_group(self, sig: int) -> None:
        os.killpg(self.pgid, sig)

    def wait_gone(self, procs: list[psutil.Process], deadline: float, since: float) -> float:
        """Seconds from ``since`` until every one of ``procs`` is gone; a hang past ``deadline``
        fails with what still runs (and the stack's thread dump, SIGUSR1), after killing it."""
        while True:
            alive = [p for p in procs if not _gone(p)]
            elapsed = time.monotonic() - since
            if not alive:
                if self.proc is not None:
                    self.proc.wait(timeout=5)
                return elapsed
            if elapsed > deadline:
                still = describe(alive)  # before they are killed below
                for proc in alive:
                    with contextlib.suppress(psutil.Error):
                        if "python" in proc.name():
                            proc.send_signal(signal.SIGUSR1)
                time.sleep(1)
                self.kill_all(procs)
                raise AssertionError(
                    f"still running {elapsed:.1f} s after the signal (deadline {deadline:.0f} s): "
                    f"{still}\n{self.tail(8000)}"
                )
            time.sleep(0.05)

    def ensure_stopped(self, deadline: float = 60.0) -> None:
        """Teardown after a failed test: stop what still runs (SIGTERM to the group, then kill)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        procs = self.tree()
        with contextlib.suppress(ProcessLookupError):
            self.signal_group(signal.SIGTERM)
        with contextlib.suppress(AssertionError):
            self.wait_gone(procs, deadline, time.monotonic())

    def kill_all(self, procs: list[psutil.Process]) -> None:
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(procs, timeout=10)
        if self.proc is not None:
            self.proc.wait(timeout=10)


class StopLog:
    """What a test reports for the summary: the scenarios it runs (they pass or fail with the
    test) and how long each stop took (a test may time one scenario several times)."""

    def __init__(self, record_property: Any, *scenarios: str) -> None:
        self._record = record_property
        self._times: dict[str, list[float]] = {}
        self._record("stop_scenarios", list(scenarios))

    def took(self, scenario: str, seconds: float) -> None:
        self._times.setdefault(scenario, []).append(round(seconds, 3))
        self._record(f"{STOP_PROPERTY}:{scenario}", list(self._times[scenario]))  # the last one counts
        if os.environ.get("STOP_TIMES_FILE"):  # one line per stop as it happens (a long run's log)
            with open(os.environ["STOP_TIMES_FILE"], "a") as out:
                out.write(f"{seconds:.3f}\t{scenario}\n")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Per scenario: tests passed of run, how many stops were timed, their median and maximum."""
    times: dict[str, list[float]] = {}
    runs: dict[str, list[bool]] = {}
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            props = dict(getattr(report, "user_properties", []))
            if report.when != "call" or "stop_scenarios" not in props:
                continue
            for scenario in props["stop_scenarios"]:
                runs.setdefault(scenario, []).append(outcome == "passed")
                times.setdefault(scenario, []).extend(props.get(f"{STOP_PROPERTY}:{scenario}", []))
    if not runs:
        return
    terminalreporter.section("stop times (issue 21)")
    for scenario, results in runs.items():
        got = times.get(scenario, [])
        figures = f"{len(got)} stops, median {statistics.median(got):.2f} s, max {max(got):.2f} s" if got else "none"
        terminalreporter.write_line(f"{scenario}: tests {sum(results)}/{len(results)} passed; {figures}")


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[Callable[..., MakeRun]]:
    """``make_run("dev", "name")``: a MakeRun whose log is in tmp_path; whatever a failed test
    left running is stopped at teardown, so the next test starts on a clean machine."""
    runs: list[MakeRun] = []

    def factory(target: str, name: str, ports: tuple[int, int] | None = None) -> MakeRun:
        run = MakeRun(target, tmp_path / f"{name}.log", ports=ports)
        runs.append(run)
        return run

    yield factory
    for run in runs:
        run.ensure_stopped()
