"""The webhook POST, behind the URL-import guard (adapters/fetch, SPEC §5).

The same rules as a URL import's source, at registration and again at every delivery: no
credentials in the URL, https only (plain http where ``WEBHOOK_ALLOW_HTTP``, the local stack),
the host resolved once and every address it resolved to public (unless
``IMPORT_ALLOW_PRIVATE_NETWORKS``, or the exact origin is in ``WEBHOOK_ALLOWED_ORIGINS``: the
local stack's own inbox), and the connection made to the checked address (the name stays in Host,
SNI and the certificate check), so DNS cannot swap the address between check and connect. A
redirect is an answer like any other (a failure), never followed. One deadline covers resolving,
connecting, sending and reading the first 1 KB of the answer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from urllib3.exceptions import NewConnectionError
from urllib3.util.timeout import Timeout

from imageapi.adapters.fetch.client import _pool, _resolve_and_check, system_resolver
from imageapi.adapters.fetch.connections import _Deadline
from imageapi.adapters.fetch.guard import ParsedTarget, Resolver, check_url
from imageapi.domain.errors import DomainError, SourceFailed, SourceRefused, SourceTimeout, UrlRefused
from imageapi.domain.webhooks.models import RESPONSE_KEPT
from imageapi.domain.webhooks.ports import SendResult

REGISTRATION_TIMEOUT_S = 5.0


def _refused(error: DomainError) -> UrlRefused:
    return UrlRefused(error.detail.replace("source URL", "webhook URL").replace("source ", "webhook "))


@dataclass
class GuardedSender:
    timeout_s: float
    allow_http: bool = False
    allow_private: bool = False
    allowed_origins: frozenset[str] = frozenset()
    resolver: Resolver = field(default=system_resolver)
    ca_certs: str | None = None

    def check(self, url: str) -> ParsedTarget:
        """The URL rules without DNS (raises ``UrlRefused``)."""
        try:
            target = check_url(url)
        except SourceRefused as error:
            raise _refused(error) from None
        if target.scheme != "https" and not self.allow_http:
            raise UrlRefused("webhook URLs must use https")
        return target

    def _private_ok(self, target: ParsedTarget) -> bool:
        return self.allow_private or f"{target.scheme}://{target.host_header}" in self.allowed_origins

    def check_registration(self, url: str) -> None:
        """At registration: the URL rules, and what its host resolves to now (``UrlRefused``)."""
        target = self.check(url)
        deadline = _Deadline(REGISTRATION_TIMEOUT_S)
        try:
            _resolve_and_check(target, self.resolver, deadline, self._private_ok(target), ())
        except (SourceRefused, SourceFailed, SourceTimeout) as error:
            raise _refused(error) from None
        finally:
            deadline.cancel()

    def __call__(self, url: str, headers: dict[str, str], body: bytes) -> SendResult:
        started = time.monotonic()

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        deadline = _Deadline(self.timeout_s)
        try:
            target = self.check(url)
            addresses = _resolve_and_check(target, self.resolver, deadline, self._private_ok(target), ())
            return self._post(target, addresses, headers, body, deadline, elapsed)
        except UrlRefused as error:
            return SendResult(latency_ms=elapsed(), error=f"refused: {error.detail}")
        except SourceRefused as error:
            return SendResult(latency_ms=elapsed(), error=f"refused: {_refused(error).detail}")
        except SourceTimeout:
            return SendResult(latency_ms=elapsed(), error=f"no answer within {self.timeout_s:g} s")
        except SourceFailed as error:
            return SendResult(latency_ms=elapsed(), error=_refused(error).detail)
        finally:
            deadline.cancel()

    def _post(
        self,
        target: ParsedTarget,
        addresses: list[Any],
        headers: dict[str, str],
        body: bytes,
        deadline: _Deadline,
        elapsed: Any,
    ) -> SendResult:
        sent = {"Host": target.host_header, **headers, "Content-Length": str(len(body))}
        failure = "connection failed"
        for ip in addresses:
            pool = _pool(target, ip, deadline, self.ca_certs)
            try:
                left = deadline.remaining()
                response = pool.urlopen(
                    "POST",
                    target.target,
                    body=body,
                    headers=sent,
                    retries=False,
                    redirect=False,
                    assert_same_host=False,
                    timeout=Timeout(connect=left, read=left),
                    preload_content=False,
                    decode_content=False,
                )
            except NewConnectionError as error:
                pool.close()
                if deadline.fired:
                    raise deadline.timeout_error() from None
                refused = "refused" in str(error).lower()
                failure = "connection refused" if refused else "connection failed"
                continue
            except Exception as error:
                pool.close()
                if deadline.fired or "timed out" in str(error).lower():
                    raise deadline.timeout_error() from None
                return SendResult(latency_ms=elapsed(), error=f"connection failed ({type(error).__name__})")
            try:
                status = response.status
                try:
                    answer = response.read(RESPONSE_KEPT) or b""
                except Exception:  # the status is what counts; a body cut short is just shorter
                    answer = b""
                return SendResult(
                    latency_ms=elapsed(),
                    status_code=status,
                    response=answer.decode("utf-8", errors="replace"),
                    retry_after=response.headers.get("Retry-After"),
                )
            finally:
                response.close()  # never drain: the answer's first 1 KB is all we keep
                pool.close()
        return SendResult(latency_ms=elapsed(), error=f"could not connect to {target.host} ({failure})")
