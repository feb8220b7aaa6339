"""The local gateway's access log: one JSON line per request on the `local.access` logger, with
the fields (names and string values, "-" when absent) of the HttpApi stage's access log format in
template.yaml (`AccessLogSettings.Format`), so a line reads the same locally and in CloudWatch.

Like the deployed format, it never holds the Authorization header or the query string (presigned
URLs carry their signature there): no token or signature reaches the log.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

log = logging.getLogger("local.access")

ENVIRON_KEY = "local.access"
# The order of template.yaml's format; tests/local/test_local_accesslog.py checks they agree.
FIELDS = (
    "requestId",
    "requestTime",
    "ip",
    "method",
    "route",
    "path",
    "status",
    "latency",
    "responseLength",
    "integrationStatus",
    "integrationLatency",
    "integrationError",
    "authorizerError",
    "sub",
)


def new_request_id() -> str:
    """An id shaped like API Gateway's (and like the one local/edge/apigw.py gives the function)."""
    return base64.b64encode(secrets.token_bytes(10)).decode()


@dataclass
class AccessRecord:
    """What the gateway learns about one request while it dispatches it."""

    started: float = field(default_factory=time.perf_counter)
    received_at: float = field(default_factory=time.time)
    request_id: str = field(default_factory=new_request_id)
    route: str | None = None
    sub: str | None = None
    authorizer_error: str | None = None
    integration_status: int | None = None
    integration_latency_ms: int | None = None
    integration_error: str | None = None
    _integration_started: float | None = None

    def start_integration(self) -> None:
        self._integration_started = time.perf_counter()

    def end_integration(self, status: int | None, error: BaseException | None = None) -> None:
        if self._integration_started is not None:
            self.integration_latency_ms = round((time.perf_counter() - self._integration_started) * 1000)
        self.integration_status = status
        if error is not None:
            # The exception's class only: its message may quote request data.
            self.integration_error = f"The function raised {type(error).__name__}"

    def fields(self, request: Request, response: Response) -> dict[str, str]:
        length = response.calculate_content_length()
        values: dict[str, Any] = {
            "requestId": self.request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(self.received_at)),
            "ip": request.remote_addr,
            "method": request.method,
            "route": self.route,
            "path": request.path,  # without the query string
            "status": response.status_code,
            "latency": round((time.perf_counter() - self.started) * 1000),
            "responseLength": length,
            "integrationStatus": self.integration_status,
            "integrationLatency": self.integration_latency_ms,
            "integrationError": self.integration_error,
            "authorizerError": self.authorizer_error,
            "sub": self.sub,
        }
        return {name: "-" if values[name] in (None, "") else str(values[name]) for name in FIELDS}


def record_of(request: Request) -> AccessRecord:
    """The request's record (a fresh one when the gateway is called without its WSGI entry)."""
    record = request.environ.get(ENVIRON_KEY)
    if not isinstance(record, AccessRecord):
        record = request.environ[ENVIRON_KEY] = AccessRecord()
    return record


def write(request: Request, response: Response) -> None:
    log.info(json.dumps(record_of(request).fields(request, response), separators=(",", ":")))
