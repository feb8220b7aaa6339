"""The render function's edge (issue 20): a Lambda function URL request (payload 2.0, what
CloudFront's fallback origin sends, signed by origin access control) in, the answer out; and the
function's other event, ``{"edge_fill": key}``, its own asynchronous invoke."""

from __future__ import annotations

import base64
import json
from typing import Any, Protocol

from imageapi.domain.edge_render import FILL_EVENT_KEY, PROBLEM, EdgeAnswer
from imageapi.domain.edge_request import FORMAT_HEADER
from imageapi.domain.errors import DomainError, problem


class Renders(Protocol):
    def answer(self, key: str, *, format_header: str | None = None) -> EdgeAnswer: ...
    def fill_object(self, key: str) -> bool: ...


def fill_key(event: dict[str, Any]) -> str | None:
    value = event.get(FILL_EVENT_KEY)
    return value if isinstance(value, str) else None


def function_url_response(answer: EdgeAnswer, *, head: bool = False) -> dict[str, Any]:
    body = b"" if head else answer.body
    return {
        "statusCode": answer.status,
        "headers": answer.headers,
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def _problem(status: int, slug: str, title: str, detail: str) -> EdgeAnswer:
    body = json.dumps(problem(status, title, detail, slug)).encode()
    return EdgeAnswer(status, {"Content-Type": PROBLEM, "Cache-Control": "no-store"}, body)


def handle(event: dict[str, Any], service: Renders) -> dict[str, Any]:
    """A function URL request: GET or HEAD of ``/<edge object key>``."""
    http = (event.get("requestContext") or {}).get("http") or {}
    method = str(http.get("method") or "GET").upper()
    if method not in ("GET", "HEAD"):
        answer = _problem(405, "method-not-allowed", "Method not allowed", f"{method} is not allowed here")
        answer.headers["Allow"] = "GET, HEAD"
        return function_url_response(answer)
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    key = str(event.get("rawPath") or "").removeprefix("/")
    try:
        answer = service.answer(key, format_header=headers.get(FORMAT_HEADER))
    except DomainError as error:  # the original no longer decodes, say: its own problem
        answer = EdgeAnswer(
            error.status,
            {"Content-Type": PROBLEM, "Cache-Control": "no-store"},
            json.dumps(error.to_problem()).encode(),
        )
    return function_url_response(answer, head=method == "HEAD")
