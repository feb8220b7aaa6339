"""One deadline across resolving, connecting, redirects and reading, and urllib3 connections
that connect to the checked IP only (the original name stays in Host, SNI and certificate checks)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, HTTPError, ReadTimeoutError, SSLError

from imageapi.adapters.fetch.guard import _READ_CHUNK, ParsedTarget
from imageapi.domain.errors import PayloadTooLarge, SourceFailed, SourceRefused, SourceTimeout

# ---------------------------------------------------------------------------------------------
# Deadline and guarded connections


class _Deadline:
    """One time budget for a whole fetch.

    It hands out timeouts derived from the remaining time, and arms a watchdog that shuts down
    every socket of the fetch when the budget runs out. The watchdog is what makes the cap total:
    a server that drips headers or body one byte a second satisfies every per-read timeout.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._expires = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        left = self._expires - time.monotonic()
        if left <= 0 or self.fired:
            raise self.timeout_error()
        return left

    def timeout_error(self) -> SourceTimeout:
        return SourceTimeout(f"source did not deliver within the time limit of {self.seconds:g} s")

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            fired = self.fired
        if fired:
            _shutdown(sock)

    def cancel(self) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    # socket.socket.shutdown, not SSLSocket.shutdown: only the file descriptor is cut, which wakes
    # a reader blocked in another thread. A closed or detached socket has fd -1 and just fails.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _WatchedConnectionMixin:
    """Registers the connection's sockets (raw, then TLS-wrapped) with the fetch's deadline."""

    sock: Any

    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        self._deadline.watch(sock)
        return sock

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self._deadline.watch(self.sock)


class _WatchedHTTPConnection(_WatchedConnectionMixin, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedConnectionMixin, HTTPSConnection):
    pass


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def _read_body(response: Any, max_bytes: int, deadline: _Deadline, target: ParsedTarget) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"source declares {int(declared)} bytes; the limit is {max_bytes} bytes")
    encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise SourceFailed(f"source sent Content-Encoding '{encoding[:20]}'; only identity is accepted")

    # read1 returns as soon as any bytes arrive (one recv), so the deadline is checked between
    # small reads; urllib3 1.26 has no read1, and there the watchdog alone enforces the cap.
    read = getattr(response, "read1", None) or response.read
    body = bytearray()
    try:
        while True:
            _set_read_timeout(response, deadline.remaining())
            chunk = read(_READ_CHUNK)
            if not chunk:
                break
            body += chunk
            if len(body) > max_bytes:
                raise PayloadTooLarge(f"source sent more than the limit of {max_bytes} bytes")
    except (PayloadTooLarge, SourceTimeout):
        raise
    except BaseException as exc:
        raise _translate(exc, target, deadline) from None
    if deadline.fired:  # the watchdog may have cut the stream, which then looks like an EOF
        raise deadline.timeout_error()
    return bytes(body)


def _set_read_timeout(response: Any, seconds: float) -> None:
    connection = getattr(response, "connection", None) or getattr(response, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def _translate(exc: BaseException, target: ParsedTarget, deadline: _Deadline) -> BaseException:
    """Map a transport exception to the domain error a client sees."""
    if deadline.fired or isinstance(exc, (ConnectTimeoutError, ReadTimeoutError, TimeoutError)):
        return deadline.timeout_error()
    if isinstance(exc, (SourceFailed, SourceTimeout, SourceRefused, PayloadTooLarge)):
        return exc
    if isinstance(exc, SSLError):
        return SourceFailed(f"TLS with source host {target.host} failed (certificate or handshake)")
    if isinstance(exc, (HTTPError, OSError, ValueError)):
        # HTTPError covers protocol errors and early disconnects; details may quote the URL,
        # so only the class name is shown.
        return SourceFailed(f"connection to source host {target.host} failed ({type(exc).__name__})")
    return exc
