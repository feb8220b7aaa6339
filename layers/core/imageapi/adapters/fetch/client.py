"""Fetch a source URL for import (SPEC §3.2 way 2) behind a guard against server-side request
forgery (SPEC §5).

The guard in one paragraph: the URL must be http(s) without credentials; its host is resolved
exactly once; every resolved address must be public (``is_forbidden_address``); the request then
goes to that checked IP, with the original name in the Host header and, for https, in SNI and
certificate verification, so no second DNS lookup can swap the address (DNS rebinding).
Redirects are followed here, one hop at a time, and every hop goes through the same checks.
Bytes and total time are capped; the time cap is one deadline across resolving, connecting,
redirects and body reading.

Only the standard library and urllib3 (shipped with botocore in the Lambda runtime) are used,
and the urllib3 surface is kept to what both 1.26 and 2.x offer.

Never log or echo a URL's query string or userinfo: ``ParsedTarget.redacted`` is the loggable
form. Error details name hosts, addresses and statuses, never full URLs.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import (
    NewConnectionError,
)
from urllib3.util.timeout import Timeout

from imageapi.adapters.fetch.connections import (
    _Deadline,
    _read_body,
    _translate,
    _WatchedHTTPConnectionPool,
    _WatchedHTTPSConnectionPool,
)
from imageapi.adapters.fetch.guard import (
    REDIRECT_STATUSES,
    USER_AGENT,
    IPAddress,
    IPNetwork,
    ParsedTarget,
    Resolver,
    check_url,
    is_forbidden_address,
)
from imageapi.domain.errors import SourceFailed, SourceRefused

logger = logging.getLogger(__name__)


class _RedactQueryFilter(logging.Filter):
    """urllib3 logs each request line, query string included, at DEBUG. Cut the query from
    those records so a debug log level never leaks a signed or secret source URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.split("?", 1)[0] + "?[redacted]" if isinstance(arg, str) and "?" in arg else arg
                for arg in record.args
            )
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactQueryFilter())

# ---------------------------------------------------------------------------------------------
# Fetch


@dataclass(frozen=True)
class FetchedSource:
    data: bytes
    content_type: str | None  # media type of the final response, lower-case, no parameters
    final_url: str  # URL of the final hop; may carry secrets in its query: do not log it


def system_resolver(host: str, port: int) -> list[str]:
    """Default resolver: every address getaddrinfo knows for ``host``."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def fetch_source(
    url: str,
    *,
    max_bytes: int,
    timeout_s: float,
    max_redirects: int = 3,
    allow_private: bool = False,
    resolver: Resolver | None = None,
    allowed_networks: Sequence[IPNetwork] = (),
    ca_certs: str | None = None,
) -> FetchedSource:
    """GET ``url`` behind the SSRF guard and return its body.

    ``allow_private`` (IMPORT_ALLOW_PRIVATE_NETWORKS, local development only) lifts the address
    check, never the scheme and credential checks. ``allowed_networks`` exempts just those
    networks from the address check and keeps it for everything else (tests use it to reach a
    server on 127.0.0.1/32 while every redirect elsewhere is still checked). ``ca_certs`` replaces
    the system trust store for https.

    Raises SourceRefused (400), PayloadTooLarge (413), SourceFailed (502: unreachable, TLS
    failure, HTTP status >= 400, too many redirects) or SourceTimeout (504).
    """
    if max_bytes < 1 or timeout_s <= 0 or max_redirects < 0:
        raise ValueError("fetch_source needs max_bytes >= 1, timeout_s > 0 and max_redirects >= 0")
    resolve = resolver or system_resolver
    deadline = _Deadline(timeout_s)
    try:
        current = check_url(url)
        for hop in range(max_redirects + 1):
            logger.info("fetching source (hop %d): %s", hop, current.redacted)
            try:
                addresses = _resolve_and_check(current, resolve, deadline, allow_private, allowed_networks)
            except SourceRefused as exc:
                if hop == 0:
                    raise
                raise SourceRefused(f"redirect refused: {exc.detail}") from None

            pool, response = _open(current, addresses, deadline, ca_certs)
            try:
                if response.status in REDIRECT_STATUSES:
                    if hop == max_redirects:
                        # A source problem, not a property of the URL the client sent: 502.
                        raise SourceFailed(f"source redirected more than {max_redirects} times")
                    current = _redirect_target(current, response)
                    continue
                if not 200 <= response.status < 300:
                    raise SourceFailed(f"source answered HTTP {response.status}")
                data = _read_body(response, max_bytes, deadline, current)
                return FetchedSource(
                    data=data,
                    content_type=_media_type(response.headers.get("Content-Type")),
                    final_url=current.url,
                )
            finally:
                # Close, never drain: an endless redirect body must not be read.
                response.close()
                pool.close()
        raise AssertionError("unreachable")  # the loop always returns or raises
    finally:
        deadline.cancel()


def _resolve_and_check(
    target: ParsedTarget,
    resolve: Resolver,
    deadline: _Deadline,
    allow_private: bool,
    allowed_networks: Sequence[IPNetwork],
) -> list[IPAddress]:
    """Resolve once, then check every address: one bad address refuses the whole name, since we
    cannot know which one a retry or a different client library would pick."""
    addresses = [target.address] if target.address is not None else _resolve(target, resolve, deadline)
    if allow_private:
        return addresses
    for ip in addresses:
        if any(ip in network for network in allowed_networks):
            continue
        reason = is_forbidden_address(ip)
        if reason is None:
            continue
        if target.address is not None:
            raise SourceRefused(f"source address {ip} is {reason}")
        raise SourceRefused(f"source host {target.host} resolves to {ip}, which is {reason}")
    return addresses


def _resolve(target: ParsedTarget, resolve: Resolver, deadline: _Deadline) -> list[IPAddress]:
    # getaddrinfo has no timeout of its own, so it runs in a thread bounded by the deadline.
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = resolve(target.host, target.port)
        except Exception as exc:  # reported below, in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=run, name="fetch-resolve", daemon=True)
    worker.start()
    worker.join(deadline.remaining())
    if worker.is_alive():
        raise deadline.timeout_error()
    if "error" in box:
        raise SourceFailed(f"could not resolve source host {target.host}")

    addresses: list[IPAddress] = []
    for text in box["result"]:
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            raise SourceFailed(f"source host {target.host} resolved to an invalid address") from None
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise SourceFailed(f"source host {target.host} did not resolve to any address")
    return addresses


def _open(
    target: ParsedTarget, addresses: list[IPAddress], deadline: _Deadline, ca_certs: str | None
) -> tuple[HTTPConnectionPool, Any]:
    """Send the GET to the first checked address that accepts a connection."""
    headers = {
        "Host": target.host_header,
        "User-Agent": USER_AGENT,
        "Accept": "image/*,*/*;q=0.5",
        # Decoding would defeat the byte cap (a tiny gzip body can inflate enormously).
        "Accept-Encoding": "identity",
    }
    failure: SourceFailed | None = None
    for ip in addresses:
        pool = _pool(target, ip, deadline, ca_certs)
        try:
            left = deadline.remaining()
            response = pool.urlopen(
                "GET",
                target.target,
                headers=headers,
                retries=False,
                redirect=False,
                assert_same_host=False,
                timeout=Timeout(connect=left, read=left),
                preload_content=False,
                decode_content=False,
            )
            return pool, response
        except NewConnectionError as exc:
            pool.close()
            if deadline.fired:
                raise deadline.timeout_error() from None
            refused = isinstance(exc.__cause__ or exc.__context__, ConnectionRefusedError) or (
                "refused" in str(exc).lower()
            )
            why = "connection refused" if refused else "connection failed"
            failure = SourceFailed(f"could not connect to source host {target.host} ({why})")
        except BaseException as exc:
            pool.close()
            raise _translate(exc, target, deadline) from None
    assert failure is not None
    raise failure


def _pool(target: ParsedTarget, ip: IPAddress, deadline: _Deadline, ca_certs: str | None) -> HTTPConnectionPool:
    # The pool is bound to the checked IP: urllib3 hands a numeric host to getaddrinfo, which
    # does not touch DNS. Pools never read proxy settings from the environment either.
    left = deadline.remaining()
    common: dict[str, Any] = {
        "timeout": Timeout(connect=left, read=left),
        "maxsize": 1,
        "block": False,
        "retries": False,
        "deadline": deadline,
    }
    if target.scheme == "http":
        return _WatchedHTTPConnectionPool(str(ip), target.port, **common)
    return _WatchedHTTPSConnectionPool(
        str(ip),
        target.port,
        cert_reqs="CERT_REQUIRED",
        ca_certs=ca_certs,
        server_hostname=target.host,  # SNI, and the name the certificate must match
        assert_hostname=target.host,
        **common,
    )


def _redirect_target(current: ParsedTarget, response: Any) -> ParsedTarget:
    location = response.headers.get("Location")
    if not location:
        raise SourceFailed(f"source answered HTTP {response.status} without a Location header")
    try:
        return check_url(urljoin(current.url, location.strip()))
    except SourceRefused as exc:
        raise SourceRefused(f"redirect refused: {exc.detail}") from None


def _media_type(header: str | None) -> str | None:
    if not header:
        return None
    media_type = header.split(";", 1)[0].strip().lower()
    return media_type or None
