"""API Gateway HTTP API payload 2.0 events, built as AWS builds them."""

from __future__ import annotations

import base64
import http.client
import json
from typing import Any
from urllib.parse import urlsplit

from local.edge.apigw import HttpRequest, build_http_event, http_response
from local.stack import LocalStack


def _request(**over: Any) -> HttpRequest:
    base: dict[str, Any] = dict(
        method="GET", raw_path="/echo/42", raw_query="", headers=[("Host", "h")], body=b"", source_ip="127.0.0.1"
    )
    return HttpRequest(**{**base, **over})


def test_headers_cookies_query_and_body() -> None:
    req = _request(
        method="POST",
        raw_path="/echo",
        raw_query="a=1&b=x%20y&a=2&empty=",
        headers=[
            ("Host", "api.local:3000"),
            ("X-Multi", "one"),
            ("x-multi", "two"),
            ("Content-Type", "image/png"),
            ("Cookie", "s=1; t=2"),
            ("User-Agent", "ua/1"),
        ],
        body=b"\x89PNG\x00\xff",
    )
    event = build_http_event(req, "POST /echo", None, None, now=1_700_000_000.5)
    assert event["version"] == "2.0" and event["routeKey"] == "POST /echo"
    assert event["rawPath"] == "/echo" and event["rawQueryString"] == "a=1&b=x%20y&a=2&empty="
    assert event["headers"]["x-multi"] == "one,two"
    assert "cookie" not in event["headers"] and event["cookies"] == ["s=1", "t=2"]
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y", "empty": ""}
    assert "pathParameters" not in event
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x89PNG\x00\xff"
    ctx = event["requestContext"]
    assert ctx["http"] == {
        "method": "POST",
        "path": "/echo",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "ua/1",
    }
    assert ctx["stage"] == "$default" and ctx["routeKey"] == "POST /echo"
    assert ctx["domainName"] == "api.local:3000" and ctx["domainPrefix"] == "api"
    assert ctx["timeEpoch"] == 1_700_000_000_500 and ctx["time"] == "14/Nov/2023:22:13:20 +0000"
    assert ctx["accountId"] and ctx["apiId"] and ctx["requestId"]
    assert "authorizer" not in ctx


def test_text_body_and_claims() -> None:
    req = _request(method="POST", headers=[("Content-Type", "application/json; charset=utf-8")], body=b'{"a": 1}')
    event = build_http_event(
        req,
        "GET /echo/{id}",
        {"id": "42"},
        {"sub": "alice", "exp": 123, "aud": "x", "scope": "read write", "groups": ["a", "b"]},
    )
    assert event["isBase64Encoded"] is False and event["body"] == '{"a": 1}'
    assert event["pathParameters"] == {"id": "42"}
    jwt = event["requestContext"]["authorizer"]["jwt"]
    assert jwt["claims"] == {"sub": "alice", "exp": "123", "aud": "x", "scope": "read write", "groups": "[a b]"}
    assert jwt["scopes"] == ["read", "write"]
    assert (
        "queryStringParameters" not in event
        and "cookies" not in event
        and "body" not in build_http_event(_request(), "GET /echo/{id}", {"id": "1"})
    )


def test_response_conversion() -> None:
    status, headers, body = http_response(
        {
            "statusCode": 201,
            "headers": {"a": "1"},
            "multiValueHeaders": {"b": ["x", "y"]},
            "cookies": ["c=1"],
            "body": base64.b64encode(b"\x00\x01").decode(),
            "isBase64Encoded": True,
        }
    )
    assert (status, body) == (201, b"\x00\x01")
    assert headers == [("a", "1"), ("b", "x"), ("b", "y"), ("Set-Cookie", "c=1")]
    assert http_response({"items": []}) == (200, [("Content-Type", "application/json")], b'{"items": []}')


def test_event_through_the_gateway(stack: LocalStack) -> None:
    """Over real HTTP, with a repeated header (which requests cannot send)."""
    url = urlsplit(stack.api_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.putrequest("GET", "/echo/abc%20d?x=1&x=2")
    conn.putheader("Authorization", "Bearer " + stack.token("alice"))
    conn.putheader("X-Repeat", "first")
    conn.putheader("X-Repeat", "second")
    conn.putheader("Cookie", "theme=dark; lang=en")
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 200
    payload = json.loads(response.read())
    event = payload["event"]
    assert event["routeKey"] == "GET /echo/{id}"
    assert event["rawPath"] == "/echo/abc%20d" and event["pathParameters"] == {"id": "abc d"}
    assert event["headers"]["x-repeat"] == "first,second"
    assert event["queryStringParameters"] == {"x": "1,2"}
    assert event["cookies"] == ["theme=dark", "lang=en"]
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["sub"] == "alice" and claims["aud"] == "test-api" and claims["exp"].isdigit()
    assert claims["iss"] == stack.api_url + "/_local"
    ctx = payload["context"]
    assert ctx["function_name"] == "EchoFunction" and ctx["memory_limit_in_mb"] == 128
    assert ctx["invoked_function_arn"].endswith(":function:EchoFunction")
    assert 0 < ctx["remaining_ms"] <= 10_000 and ctx["aws_request_id"]
