"""The stack's own process and the processes it starts (foundation of `python -m local` and
`make sam-dev`).

``StopSignals``: SIGTERM, SIGINT and SIGHUP (those two unless inherited as ignored) stop the stack;
the handler takes no lock. It only appends to a list (one C call, safe when a second signal
arrives inside the first handler) and Python's C-level handler writes the signal's number to a
wakeup socket, which is what the main thread waits on. A `threading.Event` set from the handler
deadlocked when a second signal (GNU make passes SIGTERM on to its child; Ctrl-C twice) ran the
handler again inside the first one's `Event.set`, which holds the Event's lock.

- while the stack starts, the first signal raises ``StopRequested`` in the main thread (as
  Ctrl-C raises KeyboardInterrupt), so a long start (sam build) ends at once and cleans up;
- once it runs, ``wait()`` returns on the first signal and the caller stops the stack;
- a second signal during the stop is noted on stderr and changes nothing;
- a third forces the exit (``os._exit``): what was started dies with its parent-death signal and
  the next start removes what is left (docs/architecture.md, "Stopping").

``spawn``: a child in a session of its own (a Ctrl-C meant for the stack must not reach it first)
that the kernel signals when its parent dies, even by SIGKILL (``PR_SET_PDEATHSIG``). The kernel
sends it when the *thread* that forked the child exits, so spawn from the main thread (or one that
lives as long as the child should).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType, TracebackType
from typing import Any

FORCE_AFTER = 3  # the third stop signal forces the exit


class StopRequested(BaseException):  # like KeyboardInterrupt: a request, not an error
    """A stop signal arrived while the stack was starting."""


def _stop_signals() -> list[signal.Signals]:
    """SIGTERM always; SIGINT and SIGHUP (a closed terminal) unless this process started with them
    ignored: `nohup` ignores SIGHUP, and a shell without job control ignores SIGINT in what it runs
    in the background (`make dev &` in a script), as Python itself then leaves SIGINT alone."""
    wanted = [signal.SIGTERM]
    for name in ("SIGINT", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) is not signal.SIG_IGN:
            wanted.append(sig)
    return wanted


class StopSignals:
    """`with StopSignals() as stop:` start the stack, ``stop.running()``, ``stop.wait()``, stop it."""

    def __init__(self, force: Callable[[int], None] | None = None) -> None:
        self.received: list[int] = []
        self._starting = True
        self._force = force or (lambda signum: os._exit(128 + signum))
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._previous: dict[int, Any] = {}
        self._previous_fd = -1

    def install(self) -> StopSignals:
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("signal handlers can only be installed from the main thread")
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for sig in _stop_signals():
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def uninstall(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        # No lock, no buffered I/O (print takes the stream's lock): a list append and os.write.
        self.received.append(signum)
        count = len(self.received)
        if count >= FORCE_AFTER:
            _note(f"\n{signal.Signals(signum).name} again: forcing the exit (the next start cleans up)\n")
            self._force(signum)
        elif count > 1:
            _note(f"\n{signal.Signals(signum).name}: already stopping (a third signal forces the exit)\n")
        elif self._starting:
            self._starting = False  # raise at most once: the start's cleanup runs undisturbed
            raise StopRequested(signal.Signals(signum).name)

    @property
    def requested(self) -> bool:
        return bool(self.received)

    def running(self) -> None:
        """The stack is up: from now on a signal no longer interrupts, ``wait()`` sees it."""
        self._starting = False

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a stop signal arrived (True) or ``timeout`` passed (False)."""
        self.running()
        while not self.received:
            ready, _, _ = select.select([self._reader], [], [], timeout)
            with contextlib.suppress(BlockingIOError):
                while self._reader.recv(64):
                    pass
            if not ready:
                break
        return self.requested

    def __enter__(self) -> StopSignals:
        return self.install()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.uninstall()


def _note(message: str) -> None:
    with contextlib.suppress(OSError):
        os.write(sys.stderr.fileno(), message.encode())


# ------------------------------------------------------------------ children that die with us

PR_SET_PDEATHSIG = 1


def _prctl() -> Any:
    """libc's prctl, looked up before any fork (the child must not load libraries)."""
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError, AttributeError):
        return ctypes.CDLL(None, use_errno=True).prctl
    return None


_PRCTL = _prctl()


def _die_with_parent(parent: int, death_signal: int) -> Callable[[], None]:
    def in_child() -> None:  # runs between fork and exec: no imports, no locks
        if _PRCTL is not None:
            _PRCTL(PR_SET_PDEATHSIG, death_signal, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl: nobody will signal us
            os.kill(os.getpid(), death_signal)

    return in_child


def spawn(args: Sequence[str], *, death_signal: int = signal.SIGTERM, **popen: Any) -> subprocess.Popen[bytes]:
    """Popen in a new session whose child gets ``death_signal`` when this process dies."""
    return subprocess.Popen(  # noqa: S603 - callers pass their own argument lists
        list(args),
        start_new_session=True,
        preexec_fn=_die_with_parent(os.getpid(), int(death_signal)),
        **popen,
    )
