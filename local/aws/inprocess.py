"""A request to moto's WSGI app in this process: no socket, server thread or botocore, signed as
the local account (moto checks no signature). For the endpoint's own look-ups (an object's ETag,
a bucket's CORS rules) and for tests that send thousands of requests."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder, run_wsgi_app

from .. import ACCESS_KEY_ID, REGION

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def moto_request(
    app: WSGIApp,
    method: str,
    path: str,
    *,
    service: str,
    query: str = "",
    body: bytes = b"",
    headers: Sequence[tuple[str, str]] = (),
) -> tuple[str, bytes, Headers]:
    """``(status line, body, headers)`` of ``method path?query`` answered by ``app``. The
    Authorization header is this function's: ``headers`` should not carry one."""
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20200101/{REGION}/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )
    builder = EnvironBuilder(
        path=path,
        query_string=query,
        method=method,
        data=body,
        headers=[*headers, ("Authorization", authorization)],
    )
    app_iter, status, answer_headers = run_wsgi_app(app, builder.get_environ())
    try:
        answer = b"".join(app_iter)
    finally:
        getattr(app_iter, "close", lambda: None)()
    return status, answer, answer_headers
