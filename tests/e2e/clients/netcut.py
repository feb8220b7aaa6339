"""A network that can be cut: an HTTP forward proxy on 127.0.0.1, which the `imageapi` command
reaches through HTTP_PROXY (httpx honours it, as curl and browsers do; NO_PROXY keeps the API
direct), in front of the local AWS endpoint. The presigned POSTs to the local S3 pass through it;
``cut()`` resets every open connection and every new one until ``restore()``."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from urllib.parse import urlsplit


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset (linger 0), as a dropped link looks to the other end."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class ForwardProxy:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._up = threading.Event()
        self._up.set()
        self._closed = False
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.forwarded = 0  # requests passed on
        self.refused = 0  # connections reset while cut
        self._thread = threading.Thread(target=self._accept, daemon=True, name="forward-proxy")

    def __enter__(self) -> ForwardProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True
        self._listener.close()
        self.cut()

    def cut(self) -> None:
        self._up.clear()
        with self._lock:
            doomed, self._open = self._open, set()
        for sock in doomed:
            _reset(sock)

    def restore(self) -> None:
        self._up.set()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._up.is_set():
                self.refused += 1
                _reset(client)
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _track(self, *socks: socket.socket) -> bool:
        with self._lock:
            if not self._up.is_set():
                return False
            self._open.update(socks)
            return True

    def _serve(self, client: socket.socket) -> None:
        head = b""
        try:
            while b"\r\n\r\n" not in head:
                chunk = client.recv(65536)
                if not chunk:
                    client.close()
                    return
                head += chunk
            header, rest = head.split(b"\r\n\r\n", 1)
            request_line, *headers = header.split(b"\r\n")
            method, target, version = request_line.split(b" ", 2)
            url = urlsplit(target.decode("latin-1"))
            if url.hostname not in ("127.0.0.1", "localhost") or url.port is None:
                client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                client.close()
                return
            upstream = socket.create_connection((url.hostname, url.port), timeout=30)
        except OSError:
            _reset(client)
            return
        if not self._track(client, upstream):
            _reset(client)
            _reset(upstream)
            return
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        kept = [h for h in headers if not h.lower().startswith((b"connection:", b"proxy-connection:", b"keep-alive:"))]
        # One request per connection: the server closes after answering, so every request is seen here.
        forwarded = b" ".join([method, path.encode("latin-1"), version]) + b"\r\n"
        forwarded += b"\r\n".join([*kept, b"Connection: close"]) + b"\r\n\r\n"
        self.forwarded += 1
        try:
            upstream.sendall(forwarded + rest)
        except OSError:
            _reset(client)
            _reset(upstream)
            return
        threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
        self._pump(upstream, client)

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(source)
            with contextlib.suppress(OSError):
                source.close()
