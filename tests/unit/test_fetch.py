"""URL import fetcher: the SSRF guard, redirects, byte and time caps, against real HTTP servers
on 127.0.0.1.

The servers live on loopback, which the guard refuses. Tests reach them honestly in one of two
ways: ``allowed_networks=[127.0.0.1/32]`` exempts exactly that address while every other address
(including 127.0.0.2 and everything a redirect points to) is still checked, or
``allow_private=True`` for the local-development switch itself. Refusal paths use a fake
resolver that maps test names to forbidden addresses; they never connect anywhere.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from imageapi.adapters.fetch.client import FetchedSource, fetch_source
from imageapi.adapters.fetch.guard import check_url, is_forbidden_address
from imageapi.domain.errors import PayloadTooLarge, SourceFailed, SourceRefused, SourceTimeout
from local.server import POLL_INTERVAL_S

LOOPBACK_ONLY = [ipaddress.ip_network("127.0.0.1/32")]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
SERVER_RUN_LIMIT_S = 8.0  # slow handlers give up on their own so no thread outlives the suite


# ---------------------------------------------------------------------------------------------
# Test servers


class Handler(BaseHTTPRequestHandler):
    """Routes by path. HTTP/1.0, so a body without Content-Length ends when the connection
    closes."""

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        path = parts.path
        try:
            if path == "/image.png":
                self._send(200, PNG, content_type="image/png; charset=binary")
            elif path == "/echo-host":
                self._send(200, self.headers.get("Host", "").encode(), content_type="text/plain")
            elif path.startswith("/redirect/"):
                remaining = int(path.rsplit("/", 1)[1])
                # Relative Location, resolved against the current URL.
                location = "/image.png" if remaining <= 1 else f"{remaining - 1}"
                self._redirect(302, location)
            elif path == "/redirect-to":
                self._redirect(int(query.get("status", ["302"])[0]), query["u"][0])
            elif path.startswith("/status/"):
                self._send(int(path.rsplit("/", 1)[1]), b"nope", content_type="text/plain")
            elif path == "/big-with-length":
                self._send(200, b"x" * 5000, content_type="image/png")
            elif path == "/big-without-length":
                self._headers(200, {"Content-Type": "image/png"})
                self._write_for(lambda: b"x" * 1000, count=5)
            elif path == "/chunked":
                self._chunked(int(query.get("chunks", ["3"])[0]))
            elif path == "/drip":  # one byte at a time: every single read succeeds in time
                self._headers(200, {"Content-Type": "image/png", "Content-Length": "100000"})
                self._write_for(lambda: b"x", interval=0.2)
            elif path == "/drip-headers":  # the status line itself trickles in
                for byte in b"HTTP/1.0 200 OK\r\nContent-Type: image/png\r\nX-Slow: " + b"a" * 500:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.2)
            elif path == "/endless":  # fast enough to never trip a read timeout, never ends
                self._headers(200, {"Content-Type": "image/png"})
                self._write_for(lambda: b"x" * 1024, interval=0.01)
            elif path == "/hang":
                time.sleep(SERVER_RUN_LIMIT_S)
            else:
                self._send(404, b"unknown test route", content_type="text/plain")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up, as the fetcher does when a cap is hit

    def _headers(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.flush()

    def _send(self, status: int, body: bytes, *, content_type: str) -> None:
        self._headers(status, {"Content-Type": content_type, "Content-Length": str(len(body))})
        self.wfile.write(body)

    def _redirect(self, status: int, location: str) -> None:
        self._headers(status, {"Location": location, "Content-Length": "0"})

    def _write_for(self, piece: Callable[[], bytes], *, count: int | None = None, interval: float = 0) -> None:
        started = time.monotonic()
        written = 0
        while time.monotonic() - started < SERVER_RUN_LIMIT_S and (count is None or written < count):
            self.wfile.write(piece())
            self.wfile.flush()
            written += 1
            time.sleep(interval)

    def _chunked(self, chunks: int) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(chunks):
            self.wfile.write(b"400\r\n" + b"c" * 1024 + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # teardown must not wait for the deliberately slow handlers

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def _serve(server: ThreadingHTTPServer) -> Iterator[int]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL_S}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    yield from _serve(QuietServer(("127.0.0.1", 0), Handler))


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    """An https server on 127.0.0.1 whose self-signed certificate names only good.test."""
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=good.test", "-addext", "subjectAltName=DNS:good.test",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = QuietServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    for tls_port in _serve(server):
        yield tls_port, str(cert)


def resolver_for(mapping: dict[str, list[str]], calls: list[str] | None = None) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in mapping:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return mapping[host]

    return resolve


def fetch(url: str, **kwargs: object) -> FetchedSource:
    options: dict = {"max_bytes": 100_000, "timeout_s": 3.0, "allowed_networks": LOOPBACK_ONLY}
    options.update(kwargs)
    return fetch_source(url, **options)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Address policy


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("10.0.0.5", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.255", "carrier-grade NAT"),
        ("169.254.169.254", "link-local"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "broadcast"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "unspecified"),
        ("198.18.0.1", "benchmarking"),
        ("198.19.255.255", "benchmarking"),
        ("192.0.2.1", "documentation"),
        ("192.0.0.8", "IETF"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fc00::1", "unique-local"),
        ("fd12:3456::1", "unique-local"),
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "documentation"),
        ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1, which is loopback"),
        ("::ffff:169.254.169.254", "IPv4-mapped form of 169.254.169.254, which is link-local"),
        ("::ffff:10.0.0.1", "IPv4-mapped form of 10.0.0.1, which is private"),
        ("::127.0.0.1", "IPv4-compatible form of 127.0.0.1, which is loopback"),
        ("::8.8.8.8", "IPv4-compatible form of 8.8.8.8 (deprecated"),
        ("64:ff9b::7f00:1", "NAT64 form of 127.0.0.1, which is loopback"),
        ("64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254"),
        ("64:ff9b:1::1", "local-use NAT64"),
        ("2002:7f00:1::1", "6to4 form of 127.0.0.1, which is loopback"),
        ("2002:a00:1::", "6to4 form of 10.0.0.1, which is private"),
        # Teredo: the client address is stored inverted; this one embeds 10.0.0.1.
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "Teredo form of 10.0.0.1, which is private"),
    ],
)
def test_forbidden_addresses(address: str, reason: str) -> None:
    found = is_forbidden_address(ipaddress.ip_address(address))
    assert found is not None and reason in found


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808",
                "2002:808:808::1"],
)  # fmt: skip
def test_public_addresses_pass(address: str) -> None:
    assert is_forbidden_address(ipaddress.ip_address(address)) is None


# ---------------------------------------------------------------------------------------------
# URL checks and host spellings (no network)


@pytest.mark.parametrize(
    ("url", "address", "reason"),
    [
        ("http://2130706433/", "127.0.0.1", "loopback"),  # decimal
        ("http://0177.0.0.1/", "127.0.0.1", "loopback"),  # octal
        ("http://0x7f.0.0.1/", "127.0.0.1", "loopback"),  # hex
        ("http://0x7f000001/", "127.0.0.1", "loopback"),  # one hex number
        ("http://127.1/", "127.0.0.1", "loopback"),  # short form a.b
        ("http://127.0.1/", "127.0.0.1", "loopback"),  # short form a.b.c
        ("http://0/", "0.0.0.0", "unspecified"),
        ("http://0x0a.0.0.1/", "10.0.0.1", "private"),
        ("http://012.0.0.1/", "10.0.0.1", "private"),
        ("http://167772161/", "10.0.0.1", "private"),
        ("http://0xa9fea9fe/", "169.254.169.254", "link-local"),
        ("http://169.254.43518/", "169.254.169.254", "link-local"),
        ("http://0251.0376.0251.0376/", "169.254.169.254", "link-local"),
        ("http://127.0.0.1./", "127.0.0.1", "loopback"),  # trailing dot
        ("HTTP://127.0.0.1:8080/x", "127.0.0.1", "loopback"),
        ("http://[::1]/", "::1", "loopback"),
        ("http://[0:0:0:0:0:0:0:1]/", "::1", "loopback"),
        ("http://[::]/", "::", "unspecified"),
        ("http://[fe80::1%25eth0]/", "fe80::1%eth0", "link-local"),  # zone id
        ("http://[fd00::1]:8080/", "fd00::1", "unique-local"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:7f00:1", "IPv4-mapped form of 127.0.0.1"),
        ("http://[::ffff:7f00:1]/", "::ffff:7f00:1", "IPv4-mapped form of 127.0.0.1"),
        ("http://[::ffff:a9fe:a9fe]/", "::ffff:a9fe:a9fe", "IPv4-mapped form of 169.254.169.254"),
        ("http://[64:ff9b::10.0.0.1]/", "64:ff9b::a00:1", "NAT64 form of 10.0.0.1"),
        ("http://[2002:a9fe:a9fe::]/", "2002:a9fe:a9fe::", "6to4 form of 169.254.169.254"),
    ],
)
def test_ip_spellings_are_normalised_and_refused(url: str, address: str, reason: str) -> None:
    target = check_url(url)
    assert target.address == ipaddress.ip_address(address)
    with pytest.raises(SourceRefused) as caught:
        fetch_source(url, max_bytes=1000, timeout_s=1.0)  # refused before any connection
    assert reason in caught.value.detail
    assert caught.value.detail.startswith("source address ")


@pytest.mark.parametrize(
    "url",
    [
        "http://1.2.3.4.5/",  # too many parts
        "http://256.1.1.1/",
        "http://1.2.3.256/",
        "http://127.16777216/",  # short form overflowing its 3 bytes
        "http://4294967296/",  # 2**32
        "http://08.0.0.1/",  # 8 is not an octal digit
        "http://example.123/",  # ends in a number, so it is an (invalid) IPv4 address
        "http://%31%32%37.0.0.1/",  # percent-encoded digits are not digits here
        "http://[::1/",
        "http://[not-ipv6]/",
    ],
)
def test_malformed_numeric_hosts_are_refused(url: str) -> None:
    with pytest.raises(SourceRefused):
        check_url(url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file:///etc/passwd", "scheme 'file'"),
        ("ftp://example.com/image.png", "scheme 'ftp'"),
        ("gopher://example.com:70/_GET", "scheme 'gopher'"),
        ("data:image/png;base64,iVBORw0KGgo=", "scheme 'data'"),
        ("dict://127.0.0.1:11211/stat", "scheme 'dict'"),
        ("javascript:alert(1)", "scheme 'javascript'"),
        ("//example.com/image.png", "absolute"),
        ("example.com/image.png", "absolute"),
        ("http://user:secret@example.com/image.png", "credentials"),
        ("http://user@example.com/image.png", "credentials"),
        ("http://:secret@example.com/", "credentials"),
        ("http://example.com\\@127.0.0.1/", "backslashes"),
        ("http://example.com/ image.png", "whitespace"),
        ("http://example.com/\r\nX-Injected: 1", "control characters"),
        ("http:///image.png", "no host"),
        ("http://example.com:0/", "invalid port"),
        ("http://example.com:99999/", "invalid port"),
        ("http://example.com:abc/", "invalid port"),
        ("http://exa mple.com/", "whitespace"),
        ("http://exa_mple!.com/", "not a valid domain name"),
        ("", "empty"),
    ],
)
def test_url_shape_is_refused(url: str, expected: str) -> None:
    with pytest.raises(SourceRefused) as caught:
        check_url(url)
    assert expected in caught.value.detail
    assert "secret" not in caught.value.detail


def test_credentials_and_scheme_are_refused_even_when_private_networks_are_allowed() -> None:
    with pytest.raises(SourceRefused, match="credentials"):
        fetch_source("http://user:pw@127.0.0.1/", max_bytes=10, timeout_s=1, allow_private=True)
    with pytest.raises(SourceRefused, match="scheme"):
        fetch_source("file:///etc/passwd", max_bytes=10, timeout_s=1, allow_private=True)


def test_check_url_normalises_names_and_keeps_query_out_of_redacted_form() -> None:
    target = check_url("https://Exämple.COM:8443/ä/b.png?token=s3cret#frag")
    assert (target.scheme, target.host, target.port) == ("https", "xn--exmple-cua.com", 8443)
    assert target.target == "/%C3%A4/b.png?token=s3cret"
    assert target.host_header == "xn--exmple-cua.com:8443"
    assert "s3cret" not in target.redacted
    assert check_url("http://example.com").target == "/"


# ---------------------------------------------------------------------------------------------
# DNS: what the name resolves to is what gets checked


def test_name_resolving_to_private_address_is_refused() -> None:
    resolve = resolver_for({"internal.test": ["10.0.0.1"]})
    with pytest.raises(SourceRefused) as caught:
        fetch_source("http://internal.test/image.png", max_bytes=10, timeout_s=1, resolver=resolve)
    assert caught.value.detail == "source host internal.test resolves to 10.0.0.1, which is private"


def test_name_resolving_to_metadata_service_is_refused() -> None:
    resolve = resolver_for({"metadata.test": ["169.254.169.254"]})
    with pytest.raises(SourceRefused, match="link-local"):
        fetch_source("http://metadata.test/latest/meta-data/", max_bytes=10, timeout_s=1, resolver=resolve)


def test_one_private_address_among_public_ones_refuses_the_name() -> None:
    resolve = resolver_for({"mixed.test": ["93.184.215.14", "10.0.0.1"]})
    with pytest.raises(SourceRefused, match=r"resolves to 10.0.0.1, which is private"):
        fetch_source("http://mixed.test/", max_bytes=10, timeout_s=1, resolver=resolve)


def test_ipv4_mapped_answer_from_dns_is_refused() -> None:
    resolve = resolver_for({"mapped.test": ["::ffff:127.0.0.1"]})
    with pytest.raises(SourceRefused, match=r"IPv4-mapped form of 127.0.0.1"):
        fetch_source("http://mapped.test/", max_bytes=10, timeout_s=1, resolver=resolve)


def test_localhost_is_refused_through_the_real_resolver() -> None:
    with pytest.raises(SourceRefused, match="loopback"):
        fetch_source("http://localhost/", max_bytes=10, timeout_s=2)


def test_unresolvable_name_fails_with_502() -> None:
    with pytest.raises(SourceFailed, match=r"could not resolve source host nowhere.test"):
        fetch_source("http://nowhere.test/", max_bytes=10, timeout_s=1, resolver=resolver_for({}))


def test_allowed_networks_exempt_only_what_they_name(port: int) -> None:
    with pytest.raises(SourceRefused, match=r"127.0.0.2 is loopback"):
        fetch(f"http://127.0.0.2:{port}/image.png")


def test_the_checked_address_is_the_one_connected_to(port: int) -> None:
    """DNS rebinding: the name is resolved once per hop and the request goes to that address;
    a second lookup would get 10.0.0.1 here."""
    answers = iter([["127.0.0.1"]])
    calls: list[str] = []

    def rebinding(host: str, port_: int) -> list[str]:
        calls.append(host)
        return next(answers, ["10.0.0.1"])

    result = fetch(f"http://rebind.test:{port}/echo-host", resolver=rebinding)
    assert calls == ["rebind.test"]
    assert result.data == f"rebind.test:{port}".encode()  # Host header carries the name


# ---------------------------------------------------------------------------------------------
# Happy paths


def test_fetch_returns_bytes_and_media_type(port: int) -> None:
    result = fetch(f"http://127.0.0.1:{port}/image.png?size=large")
    assert result.data == PNG
    assert result.content_type == "image/png"
    assert result.final_url == f"http://127.0.0.1:{port}/image.png?size=large"


def test_allow_private_reaches_loopback(port: int) -> None:
    result = fetch_source(f"http://127.0.0.1:{port}/image.png", max_bytes=100_000, timeout_s=3, allow_private=True)
    assert result.data == PNG


def test_chunked_body_is_read(port: int) -> None:
    result = fetch(f"http://127.0.0.1:{port}/chunked?chunks=3")
    assert result.data == b"c" * 3072


def test_https_verifies_the_original_name_against_the_pinned_address(tls: tuple[int, str]) -> None:
    tls_port, ca = tls
    resolve = resolver_for({"good.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    result = fetch(f"https://good.test:{tls_port}/echo-host", resolver=resolve, ca_certs=ca)
    assert result.data == f"good.test:{tls_port}".encode()

    with pytest.raises(SourceFailed, match=r"TLS with source host other.test failed"):
        fetch(f"https://other.test:{tls_port}/image.png", resolver=resolve, ca_certs=ca)
    with pytest.raises(SourceFailed, match="TLS"):  # not trusted by the system store
        fetch(f"https://good.test:{tls_port}/image.png", resolver=resolve)


# ---------------------------------------------------------------------------------------------
# Redirects


def test_relative_redirects_are_followed_up_to_the_limit(port: int) -> None:
    result = fetch(f"http://127.0.0.1:{port}/redirect/3")
    assert result.data == PNG
    assert result.final_url == f"http://127.0.0.1:{port}/image.png"


def test_more_redirects_than_allowed_fail(port: int) -> None:
    with pytest.raises(SourceFailed, match="redirected more than 3 times"):
        fetch(f"http://127.0.0.1:{port}/redirect/4")
    with pytest.raises(SourceFailed, match="redirected more than 0 times"):
        fetch(f"http://127.0.0.1:{port}/redirect/1", max_redirects=0)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_every_redirect_status_is_followed(port: int, status: int) -> None:
    location = quote(f"http://127.0.0.1:{port}/image.png", safe="")
    assert fetch(f"http://127.0.0.1:{port}/redirect-to?status={status}&u={location}").data == PNG


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("http://169.254.169.254/latest/meta-data/", "source address 169.254.169.254 is link-local"),
        ("http://private.test/x", "source host private.test resolves to 10.0.0.1, which is private"),
        ("http://127.0.0.2/", "source address 127.0.0.2 is loopback"),
        ("http://[::ffff:10.0.0.1]/", "IPv4-mapped form of 10.0.0.1"),
        ("http://2852039166/", "source address 169.254.169.254 is link-local"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("gopher://127.0.0.1:6379/_INFO", "scheme 'gopher'"),
        ("http://admin:pw@example.com/", "credentials"),
    ],
)
def test_redirect_into_forbidden_space_is_refused(port: int, location: str, expected: str) -> None:
    resolve = resolver_for({"good.test": ["127.0.0.1"], "private.test": ["10.0.0.1"]})
    url = f"http://good.test:{port}/redirect-to?u={quote(location, safe='')}"
    with pytest.raises(SourceRefused) as caught:
        fetch(url, resolver=resolve)
    assert caught.value.detail.startswith("redirect refused: ")
    assert expected in caught.value.detail


# ---------------------------------------------------------------------------------------------
# Source failures


def test_http_error_status_is_502_and_hides_the_query(port: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SourceFailed) as caught:
        fetch(f"http://127.0.0.1:{port}/status/404?token=SECRET")
    assert caught.value.detail == "source answered HTTP 404"
    assert "SECRET" not in caplog.text
    assert f"127.0.0.1:{port}/status/404" in caplog.text  # the redacted form is what gets logged


def test_server_error_status_is_502(port: int) -> None:
    with pytest.raises(SourceFailed, match="HTTP 503"):
        fetch(f"http://127.0.0.1:{port}/status/503")


def test_connection_refused_is_502() -> None:
    with pytest.raises(SourceFailed, match="connection refused"):
        fetch(f"http://127.0.0.1:{closed_port()}/image.png")


# ---------------------------------------------------------------------------------------------
# Byte cap


@pytest.mark.parametrize("path", ["/big-with-length", "/big-without-length", "/chunked?chunks=10"])
def test_too_many_bytes_is_413(port: int, path: str) -> None:
    with pytest.raises(PayloadTooLarge):
        fetch(f"http://127.0.0.1:{port}{path}", max_bytes=4096)


def test_declared_length_over_the_cap_is_refused_up_front(port: int) -> None:
    with pytest.raises(PayloadTooLarge, match="declares 5000 bytes"):
        fetch(f"http://127.0.0.1:{port}/big-with-length", max_bytes=4096)


def test_exactly_the_cap_is_accepted(port: int) -> None:
    assert len(fetch(f"http://127.0.0.1:{port}/big-with-length", max_bytes=5000).data) == 5000


def test_endless_body_hits_the_byte_cap_quickly(port: int) -> None:
    started = time.monotonic()
    with pytest.raises(PayloadTooLarge):
        fetch(f"http://127.0.0.1:{port}/endless", max_bytes=20_000, timeout_s=5)
    assert time.monotonic() - started < 5  # the cap, not the time limit, ended it (no SourceTimeout)


# ---------------------------------------------------------------------------------------------
# Time cap: one deadline for everything


@pytest.mark.parametrize("path", ["/drip", "/drip-headers", "/endless", "/hang"])
def test_slow_sources_are_cut_at_the_deadline(port: int, path: str) -> None:
    started = time.monotonic()
    with pytest.raises(SourceTimeout, match=r"time limit of 0\.5 s"):
        fetch(f"http://127.0.0.1:{port}{path}", max_bytes=10_000_000, timeout_s=0.5)
    # Not before the limit; and long before the slow source would have ended on its own (a busy
    # machine may add seconds: the bound tells "cut at the deadline" from "waited it out").
    assert 0.45 <= time.monotonic() - started < SERVER_RUN_LIMIT_S - 2


def test_deadline_spans_redirect_hops(port: int) -> None:
    target = quote(f"http://127.0.0.1:{port}/drip", safe="")
    started = time.monotonic()
    with pytest.raises(SourceTimeout):
        fetch(f"http://127.0.0.1:{port}/redirect-to?u={target}", max_bytes=10_000_000, timeout_s=0.5)
    assert time.monotonic() - started < SERVER_RUN_LIMIT_S - 2  # one deadline, not a fresh one per hop


def test_slow_dns_counts_against_the_deadline() -> None:
    def slow(host: str, port: int) -> list[str]:
        time.sleep(6)
        return ["93.184.215.14"]

    started = time.monotonic()
    with pytest.raises(SourceTimeout):
        fetch_source("http://slow.test/", max_bytes=10, timeout_s=0.5, resolver=slow)
    assert time.monotonic() - started < 5  # did not wait for the resolver's 6 s
