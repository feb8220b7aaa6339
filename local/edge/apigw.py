"""API Gateway HTTP API payload format 2.0: the event a request becomes, and the HTTP response a
handler's result becomes, following what API Gateway does (AWS docs, "Working with AWS Lambda
proxy integrations for HTTP APIs")."""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from .. import ACCOUNT_ID

API_ID = "local"

# Bodies of these types reach the function as text; anything else is base64-encoded.
_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/graphql",
    "application/x-yaml",
    "application/yaml",
)


@dataclass
class HttpRequest:
    """What the gateway hands over: the request as it arrived."""

    method: str
    raw_path: str  # as sent (still percent-encoded)
    raw_query: str
    headers: list[tuple[str, str]]  # in arrival order, duplicates kept
    body: bytes
    source_ip: str


def _is_utf8(body: bytes) -> bool:
    """A text-typed body that is not UTF-8 cannot travel as a JSON string: base64 it instead."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def is_text(content_type: str | None, body: bytes) -> bool:
    if not content_type:
        try:
            body.decode("utf-8")
            return True
        except UnicodeDecodeError:
            return False
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime.startswith(_TEXT_TYPES) or mime.endswith(("+json", "+xml"))


def jwt_claims_for_event(claims: dict[str, Any]) -> dict[str, str]:
    """API Gateway hands claims over as strings: numbers as digits, arrays as "[a b]"."""

    def text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return "[" + " ".join(text(v) for v in value) + "]"
        if isinstance(value, dict):
            return json.dumps(value, separators=(",", ":"))
        return str(value)

    return {name: text(value) for name, value in claims.items()}


def jwt_scopes(claims: dict[str, Any]) -> list[str] | None:
    scope = claims.get("scope", claims.get("scp"))
    if isinstance(scope, str):
        return scope.split() or None
    if isinstance(scope, list):
        return [str(s) for s in scope] or None
    return None


def build_http_event(
    req: HttpRequest,
    route_key: str,
    path_parameters: dict[str, str] | None,
    claims: dict[str, Any] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    now = time.time() if now is None else now
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in req.headers:
        lname = name.lower()
        if lname == "cookie":  # cookies travel in their own list, not as a header
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[lname] = f"{headers[lname]},{value}" if lname in headers else value

    query: dict[str, str] = {}
    for name, value in parse_qsl(req.raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value

    domain = headers.get("host", "localhost")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": req.raw_path,
        "rawQueryString": req.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": domain,
        "domainPrefix": domain.split(".", 1)[0],
        "http": {
            "method": req.method,
            "path": req.raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": req.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": base64.b64encode(secrets.token_bytes(10)).decode(),
        "routeKey": route_key,
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": jwt_claims_for_event(claims), "scopes": jwt_scopes(claims)}}
    event["requestContext"] = context
    if req.body:
        if is_text(headers.get("content-type"), req.body) and _is_utf8(req.body):
            event["body"] = req.body.decode("utf-8")
            event["isBase64Encoded"] = False
        else:
            event["body"] = base64.b64encode(req.body).decode("ascii")
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    if path_parameters:
        event["pathParameters"] = path_parameters
    return event


class BadLambdaResponse(ValueError):
    """The handler returned something API Gateway would answer 500 for."""


def http_response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body for a handler's return value."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # No statusCode: API Gateway treats the whole value as a 200 JSON body.
        text = result if isinstance(result, str) else json.dumps(result)
        return 200, [("Content-Type", "application/json")], text.encode()
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError) as exc:
        raise BadLambdaResponse(f"statusCode {result['statusCode']!r} is not an integer") from exc
    headers: list[tuple[str, str]] = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), str(v)) for v in values)
    headers.extend(("Set-Cookie", str(c)) for c in result.get("cookies") or [])
    body = result.get("body")
    if body is None:
        data = b""
    elif result.get("isBase64Encoded"):
        data = base64.b64decode(body)
    else:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return status, headers, data
