"""The SSRF guard without any I/O (SPEC §5): which addresses are forbidden, and what a URL must
look like (http(s), no credentials, a host spelled one canonical way) before anything resolves it."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from imageapi.domain.errors import SourceRefused

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
