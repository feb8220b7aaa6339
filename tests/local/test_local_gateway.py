"""The local gateway: routes from the template, the JWT authorizer, problem+json errors,
environment of the functions, CORS, the web page and the local-only routes."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import jwt
import requests

from local.stack import LocalStack


def _problem(response: requests.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail"} and body["status"] == status
    return body


def test_protected_route_requires_a_valid_token(stack: LocalStack) -> None:
    url = stack.api_url + "/echo/1"
    assert _problem(requests.get(url, timeout=10), 401)["type"] == "urn:image-api:problem:unauthorized"
    _problem(requests.get(url, headers={"Authorization": "Bearer junk"}, timeout=10), 401)
    assert stack.issuer
    expired = stack.issuer.issue_token("alice", ttl=-10)
    _problem(requests.get(url, headers={"Authorization": f"Bearer {expired}"}, timeout=10), 401)
    ok = requests.get(url, headers={"Authorization": f"Bearer {stack.token('alice')}"}, timeout=10)
    assert ok.status_code == 200


def test_public_route_needs_no_token(stack: LocalStack) -> None:
    response = requests.get(stack.api_url + "/public", timeout=10)
    assert response.status_code == 200
    assert "authorizer" not in response.json()["event"]["requestContext"]


def test_literal_route_wins_over_parameter(stack: LocalStack) -> None:
    response = requests.get(
        stack.api_url + "/echo/special", headers={"Authorization": f"Bearer {stack.token()}"}, timeout=10
    )
    assert response.json()["event"]["routeKey"] == "GET /echo/special"


def test_unknown_route_and_method(stack: LocalStack) -> None:
    _problem(requests.get(stack.api_url + "/nowhere", timeout=10), 404)
    response = requests.delete(stack.api_url + "/echo/1", timeout=10)
    _problem(response, 405)
    assert response.headers["Allow"] == "GET"


def test_handler_exception_is_a_500_problem(stack: LocalStack, capfd) -> None:
    body = _problem(requests.get(stack.api_url + "/boom", timeout=10), 500)
    assert "boom on purpose" not in json.dumps(body)
    assert "boom on purpose" in capfd.readouterr().err  # the traceback goes to the log


def test_handler_response_shape(stack: LocalStack) -> None:
    response = requests.get(stack.api_url + "/shaped", timeout=10)
    assert response.status_code == 201
    assert response.content == b"\x89PNG\r\n\x1a\n\x00\xff"
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["x-many"] == "a, b"
    assert response.raw.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2; HttpOnly"]


def test_functions_environment(stack: LocalStack) -> None:
    env = requests.get(stack.api_url + "/public", timeout=10).json()["env"]
    assert env["TABLE_NAME"] == "local-test" and env["BUCKET_NAME"] == "local-test"
    assert env["WORK_QUEUE_URL"] == f"{stack.aws_url}/123456789012/local-test-WorkQueue"
    assert env["AWS_ENDPOINT_URL"] == stack.aws_url and env["AWS_REGION"] == "us-east-1"
    assert env["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert env["IMPORT_ALLOW_PRIVATE_NETWORKS"] == "false"
    assert env["ECHO_ONLY"] == "yes" and env["MAX_UPLOAD_BYTES"] == "1024"
    assert env["CURSOR_SECRET"] and "resolve" not in env["CURSOR_SECRET"]


def test_local_token_and_jwks(stack: LocalStack) -> None:
    token = requests.get(stack.api_url + "/_local/token?sub=carol", timeout=10).json()["token"]
    jwks = requests.get(stack.api_url + "/_local/jwks.json", timeout=10).json()
    key = jwt.PyJWK(jwks["keys"][0])
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience="test-api")
    assert claims["sub"] == "carol" and claims["iss"] == stack.api_url + "/_local"
    assert jwt.get_unverified_header(token)["kid"] == jwks["keys"][0]["kid"]


def test_web_page_is_served(stack: LocalStack) -> None:
    response = requests.get(stack.api_url + "/", timeout=10)
    assert response.status_code == 200 and "fixture page" in response.text
    assert response.headers["Content-Type"].startswith("text/html")
    _problem(requests.get(stack.api_url + "/../template.yaml", timeout=10), 404)


def test_api_cors(stack: LocalStack) -> None:
    pre = requests.options(
        stack.api_url + "/echo/1",
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert pre.status_code == 204 and pre.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    got = requests.get(stack.api_url + "/public", headers={"Origin": "https://app.example.com"}, timeout=10)
    assert got.headers["Access-Control-Allow-Origin"] == "https://app.example.com"  # not the function's "*"
    assert got.headers["Access-Control-Expose-Headers"] == "location"
    other = requests.get(stack.api_url + "/public", headers={"Origin": "https://evil.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in other.headers


def test_a_stack_whose_start_fails_stops_what_it_made_and_raises(tmp_path: Path) -> None:
    """An invalid bucket name fails create_resources after both servers are bound but before the
    gateway serves: the start raises (it used to hang in the half-made stack's stop, waiting for
    a server that never served), and both servers are closed."""
    from botocore.exceptions import ClientError

    from local.stack import LocalStack

    stack = LocalStack(state_dir=tmp_path, name_prefix="x", pollers=False)  # "x" is no valid bucket name
    failed = threading.Event()

    def start() -> None:
        try:
            stack.start()
        except ClientError:
            failed.set()

    thread = threading.Thread(target=start, daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert failed.is_set(), "the failed start did not return"
    assert stack._aws is None and stack._gateway is None
