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

import contextlib
import ipaddress
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util.timeout import Timeout

from .errors import PayloadTooLarge, SourceFailed, SourceRefused, SourceTimeout

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

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

ALLOWED_SCHEMES = {"http": 80, "https": 443}
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_URL_LENGTH = 4096
USER_AGENT = "serverless-image-api/url-import"
_READ_CHUNK = 64 * 1024
# Anything else in a URL (controls, whitespace, backslashes) only serves parser confusion.
_URL_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
_DNS_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
# WHATWG: a host whose last label is a number (decimal or 0x-hex) is an IPv4 address, or invalid.
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# Address policy


def _rules(*pairs: tuple[str, str]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(net), reason) for net, reason in pairs)


# First match wins, so the narrower network comes before the wider one (broadcast before 240/4).
_IPV4_RULES = _rules(
    ("0.0.0.0/8", "unspecified ('this network', 0.0.0.0/8)"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "shared address space (carrier-grade NAT, 100.64.0.0/10)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local (cloud metadata, 169.254.0.0/16)"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "reserved for IETF protocol assignments"),
    ("192.0.2.0/24", "reserved for documentation"),
    ("192.88.99.0/24", "reserved (former 6to4 relay anycast)"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "reserved for benchmarking (198.18.0.0/15)"),
    ("198.51.100.0/24", "reserved for documentation"),
    ("203.0.113.0/24", "reserved for documentation"),
    ("224.0.0.0/4", "multicast"),
    ("255.255.255.255/32", "broadcast"),
    ("240.0.0.0/4", "reserved"),
)
_IPV6_RULES = _rules(
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("64:ff9b:1::/48", "reserved (local-use NAT64)"),
    ("100::/64", "reserved (discard-only)"),
    ("2001:2::/48", "reserved for benchmarking"),
    ("2001:db8::/32", "reserved for documentation"),
    ("3fff::/20", "reserved for documentation"),
    ("fc00::/7", "unique-local (private, fc00::/7)"),
    ("fe80::/10", "link-local (fe80::/10)"),
    ("fec0::/10", "site-local (fec0::/10)"),
    ("ff00::/8", "multicast"),
)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def is_forbidden_address(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be fetched from (e.g. ``"private"``), or ``None`` if it is public.

    IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) are judged by
    the IPv4 address inside, because that is where the packets may end up.
    """
    if isinstance(ip, ipaddress.IPv4Address):
        for network, reason in _IPV4_RULES:
            if ip in network:
                return reason
        # Catch-all for anything the table misses (future IANA special-purpose blocks).
        return None if ip.is_global else "not globally routable"

    if ip.scope_id:  # a zone id (fe80::1%eth0) never changes what the address is
        ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])

    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        form, v4 = embedded
        inner = is_forbidden_address(v4)
        if inner is not None:
            return f"{form} of {v4}, which is {inner}"
        if form == "an IPv4-compatible form":
            return f"{form} of {v4} (deprecated since RFC 4291, never fetched)"
        if form != "a Teredo form":
            # Routes to a public IPv4 address (Python <3.13 calls mapped addresses private).
            return None
        # Teredo with public endpoints still falls through: Python reports 2001::/32 as not
        # global, and tunnelled relays have no business serving images.

    for network, reason in _IPV6_RULES:
        if ip in network:
            return reason
    return None if ip.is_global else "not globally routable"


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    if ip.ipv4_mapped is not None:
        return "an IPv4-mapped form", ip.ipv4_mapped
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:  # ::/128 and ::1 are not IPv4-compatible
        return "an IPv4-compatible form", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _NAT64:
        return "a NAT64 form", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return "a 6to4 form", ip.sixtofour
    if ip.teredo is not None:
        server, client = ip.teredo
        for v4 in (client, server):
            if is_forbidden_address(v4) is not None:
                return "a Teredo form", v4
        return "a Teredo form", client
    return None


# ---------------------------------------------------------------------------------------------
# URL validation (no DNS)


@dataclass(frozen=True)
class ParsedTarget:
    """A URL that passed ``check_url``: the pieces a request needs, already normalised."""

    scheme: str  # "http" or "https"
    host: str  # lower-case ASCII (IDNA) name, or the canonical text of an IP address
    port: int
    target: str  # request target: path and query, percent-encoded, never empty
    address: IPAddress | None  # set when the URL names an IP address (in any spelling)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == ALLOWED_SCHEMES[self.scheme] else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """The full normalised URL. May carry secrets in its query: do not log it."""
        return f"{self.scheme}://{self.host_header}{self.target}"

    @property
    def redacted(self) -> str:
        """Safe for logs and error details: no query string (there is never userinfo)."""
        return f"{self.scheme}://{self.host_header}{self.target.split('?', 1)[0]}"


def check_url(url: str) -> ParsedTarget:
    """Validate scheme, credentials, host and port of ``url`` without any DNS lookup.

    Numeric hosts are normalised the way ``inet_aton`` and browsers read them (2130706433,
    0177.0.0.1, 0x7f.0.0.1 and 127.1 are all 127.0.0.1) so the address check sees the real
    address. Raises ``SourceRefused`` with the reason.
    """
    if not isinstance(url, str) or not url:
        raise SourceRefused("source URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise SourceRefused(f"source URL is longer than {MAX_URL_LENGTH} characters")
    if _URL_FORBIDDEN_CHARS.search(url):
        raise SourceRefused("source URL contains whitespace, control characters or backslashes")

    try:
        parts = urlsplit(url)
    except ValueError:
        raise SourceRefused("source URL is malformed") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise SourceRefused("source URL must be absolute (http:// or https://)")
    if scheme not in ALLOWED_SCHEMES:
        raise SourceRefused(f"source URL scheme '{scheme[:20]}' is not allowed; use http or https")
    if "@" in parts.netloc:
        raise SourceRefused("credentials in source URLs are not allowed")
    if not parts.hostname:
        raise SourceRefused("source URL has no host")

    try:
        port = parts.port
    except ValueError:
        raise SourceRefused("source URL has an invalid port") from None
    if port is None:
        port = ALLOWED_SCHEMES[scheme]
    elif port == 0:
        raise SourceRefused("source URL has an invalid port")

    host, address = _normalise_host(parts.netloc, parts.hostname)
    # Re-quote the path and query so non-ASCII never reaches the HTTP client; existing %XX and
    # reserved characters are kept as they are.
    safe = "/%:@!$&'()*+,;=-._~?"
    target = quote(parts.path or "/", safe=safe)
    if parts.query:
        target += "?" + quote(parts.query, safe=safe)
    return ParsedTarget(scheme=scheme, host=host, port=port, target=target, address=address)


def _normalise_host(netloc: str, hostname: str) -> tuple[str, IPAddress | None]:
    """(host text, address if the host is an IP literal). ``hostname`` comes lower-cased and
    without brackets from urlsplit."""
    if netloc.startswith("["):
        # IPv6 literal; a zone id arrives percent-encoded as %25 (RFC 6874).
        text = hostname.replace("%25", "%", 1)
        try:
            ip6 = ipaddress.IPv6Address(text)
        except ValueError:
            raise SourceRefused("source URL has a malformed IPv6 address") from None
        # The zone stays on the address (what we connect to), never in Host or URLs.
        return str(ip6).split("%", 1)[0], ip6

    ip4 = _parse_ipv4_spelling(hostname)
    if ip4 is not None:
        return str(ip4), ip4

    name = hostname[:-1] if hostname.endswith(".") else hostname
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise SourceRefused("source URL host is not a valid domain name") from None
    labels = name.split(".")
    if len(name) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        raise SourceRefused("source URL host is not a valid domain name")
    return name, None


def _parse_ipv4_spelling(host: str) -> ipaddress.IPv4Address | None:
    """Read ``host`` as inet_aton/WHATWG would: 1 to 4 dot-separated parts, each decimal, octal
    (leading 0) or hex (0x), the last part filling the remaining bytes. ``None`` if the host is a
    name; ``SourceRefused`` if it looks numeric but is not a valid address."""
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels = labels[:-1]  # one trailing dot is allowed, as in DNS
    if not _NUMERIC_LABEL.fullmatch(labels[-1]):
        return None
    malformed = SourceRefused("source URL host is a malformed IPv4 address")
    if len(labels) > 4:
        raise malformed
    numbers: list[int] = []
    for label in labels:
        try:
            if label[:2].lower() == "0x":
                numbers.append(int(label[2:] or "0", 16))
            elif len(label) > 1 and label.startswith("0"):
                numbers.append(int(label, 8))
            else:
                numbers.append(int(label, 10))
        except ValueError:
            raise malformed from None
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        raise malformed
    value = last
    for index, n in enumerate(leading):
        value += n << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


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
    ConnectionCls = _WatchedHTTPSConnection  # type: ignore[assignment]


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


def _redirect_target(current: ParsedTarget, response: Any) -> ParsedTarget:
    location = response.headers.get("Location")
    if not location:
        raise SourceFailed(f"source answered HTTP {response.status} without a Location header")
    try:
        return check_url(urljoin(current.url, location.strip()))
    except SourceRefused as exc:
        raise SourceRefused(f"redirect refused: {exc.detail}") from None


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


def _media_type(header: str | None) -> str | None:
    if not header:
        return None
    media_type = header.split(";", 1)[0].strip().lower()
    return media_type or None
