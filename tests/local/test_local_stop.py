"""Stopping `make dev` as a user, `timeout`, a process manager or `kill` on the group does (issue
21): GNU make passes SIGTERM on to its child, so the stack gets two signals; Ctrl-C twice does
the same with SIGINT. Each test names what it checks afterwards: every process of the group
gone within the deadline, both ports free again, and the stack's own stop run to its end.
STOP_REPEATS repeats each (tests/harness/stopping.py; `make test-stop` runs 20)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from local.processes import StopRequested, StopSignals
from tests.harness.stopping import DEV_DEADLINE_S, MakeRun, StopLog, port_free, repeats

# Not in `make test-fast`: each test runs `make dev` as a user does (a new process that imports the
# stack and creates the template's resources, about 5 s of CPU), which the inner loop's budget
# cannot carry; `make test` runs each once and `make test-stop` STOP_REPEATS times.
pytestmark = pytest.mark.stop

READY_TIMEOUT_S = 120  # a busy machine starts slowly: a bound, not a timing


def _started(make_run: Callable[..., MakeRun], name: str = "make-dev") -> MakeRun:
    run = make_run("dev", name).start()
    run.wait_ready(READY_TIMEOUT_S)
    token = requests.get(f"{run.api}/_local/token", params={"sub": "stop"}, timeout=10).json()["token"]
    listed = requests.get(f"{run.api}/images", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert listed.status_code == 200, listed.text
    return run


def _assert_nothing_left(run: MakeRun) -> None:
    assert port_free(run.port) and port_free(run.moto_port), "a port of the stopped stack is still bound"


@repeats()
def test_sigterm_to_make_dev_group_ends_every_process_and_frees_both_ports(
    make_run: Callable[..., MakeRun], record_property: Any, repetition: int
) -> None:
    stops = StopLog(record_property, "make dev: SIGTERM to the group")
    run = _started(make_run)
    procs = run.tree()
    assert len(procs) >= 2, procs  # make and python -m local
    since = time.monotonic()
    run.signal_group(signal.SIGTERM)
    seconds = run.wait_gone(procs, DEV_DEADLINE_S, since)
    stops.took("make dev: SIGTERM to the group", seconds)
    _assert_nothing_left(run)
    assert "stopping the local stack" in run.tail() and run.tail().rstrip().endswith("stopped"), run.tail()


@repeats()
def test_two_quick_sigints_to_make_dev_group_end_every_process_and_free_both_ports(
    make_run: Callable[..., MakeRun], record_property: Any, repetition: int
) -> None:
    stops = StopLog(record_property, "make dev: two quick SIGINTs to the group")
    run = _started(make_run)
    procs = run.tree()
    since = time.monotonic()
    run.signal_group(signal.SIGINT)
    run.signal_group(signal.SIGINT)
    seconds = run.wait_gone(procs, DEV_DEADLINE_S, since)
    stops.took("make dev: two quick SIGINTs to the group", seconds)
    _assert_nothing_left(run)
    assert "stopping the local stack" in run.tail() and "\nstopped" in run.tail(), run.tail()


@repeats()
def test_sigkill_of_make_dev_stack_then_the_next_start_serves_and_stops_leaving_no_process_or_port(
    make_run: Callable[..., MakeRun], record_property: Any, repetition: int
) -> None:
    stops = StopLog(record_property, "make dev: SIGKILL of the stack, then the next start and its stop")
    killed = _started(make_run)
    procs = killed.tree()
    killed.stack_process().kill()
    killed.wait_gone(procs, DEV_DEADLINE_S, time.monotonic())  # make reports the kill and exits

    # the next start, on the same ports: it must start fine and stop cleanly
    following = make_run("dev", "make-dev-next", ports=(killed.port, killed.moto_port))
    following.start().wait_ready(READY_TIMEOUT_S)
    procs = following.tree()
    since = time.monotonic()
    following.signal_group(signal.SIGTERM)
    seconds = following.wait_gone(procs, DEV_DEADLINE_S, since)
    stops.took("make dev: SIGKILL of the stack, then the next start and its stop", seconds)
    _assert_nothing_left(following)


def test_a_signal_while_make_dev_starts_stops_it_cleanly(make_run: Callable[..., MakeRun]) -> None:
    """The first signal during the start ends the start (as Ctrl-C does): nothing is left running."""
    run = make_run("dev", "make-dev").start()
    deadline = time.monotonic() + READY_TIMEOUT_S
    while "local" not in " ".join(" ".join(p.cmdline()) for p in run.tree()[1:]):
        assert time.monotonic() < deadline and run.proc is not None and run.proc.poll() is None, run.tail()
        time.sleep(0.05)
    procs = run.tree()
    since = time.monotonic()
    run.signal_group(signal.SIGTERM)
    run.wait_gone(procs, DEV_DEADLINE_S, since)
    _assert_nothing_left(run)


@pytest.mark.parametrize("signals", [1, 2])
def test_stop_signals_wake_the_wait_a_second_is_only_noted_and_a_third_forces(signals: int) -> None:
    """In-process: the handler only records (no lock); a second signal changes nothing."""
    forced: list[int] = []
    with StopSignals(force=forced.append) as stop:
        stop.running()
        assert not stop.wait(timeout=0.01)  # nothing yet
        for _ in range(signals):
            signal.raise_signal(signal.SIGTERM)
        assert stop.wait(timeout=5)
        assert stop.received == [signal.SIGTERM] * signals and forced == []
        for _ in range(3 - signals):
            signal.raise_signal(signal.SIGTERM)
        assert forced == [signal.SIGTERM]
    assert signal.getsignal(signal.SIGTERM) is not stop._handle  # the previous handlers are back


def test_an_inherited_ignored_sigint_stays_ignored_and_sigterm_still_stops() -> None:
    """`make dev &` from a script without job control, like `nohup` for SIGHUP."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with StopSignals(force=lambda signum: None) as stop:
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            stop.running()
            signal.raise_signal(signal.SIGTERM)
            assert stop.wait(timeout=5)
    finally:
        signal.signal(signal.SIGINT, previous)


def test_the_first_signal_while_starting_interrupts_the_start_once() -> None:
    with StopSignals(force=lambda signum: None) as stop:
        with pytest.raises(StopRequested):
            signal.raise_signal(signal.SIGTERM)
            time.sleep(5)  # a long start step: the signal interrupts it
        signal.raise_signal(signal.SIGTERM)  # during the start's cleanup: only noted
        assert stop.received == [signal.SIGTERM, signal.SIGTERM]
