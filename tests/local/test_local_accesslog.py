"""The local gateway's access log: one JSON line per request, the fields of the deployed stage's
access log format (template.yaml), and never a token or a signature."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import requests

from local.edge.accesslog import FIELDS
from local.stack import LocalStack
from local.template import load_yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SIGNATURE = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "local.access"]


def _one_line(caplog: pytest.LogCaptureFixture) -> tuple[str, dict[str, str]]:
    lines = _lines(caplog)
    assert len(lines) == 1, lines
    assert "\n" not in lines[0]
    record = json.loads(lines[0])
    assert list(record) == list(FIELDS) and all(isinstance(v, str) for v in record.values())
    return lines[0], record


@pytest.fixture
def access(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="local.access")
    caplog.clear()
    return caplog


def test_local_fields_are_the_deployed_stages_format() -> None:
    api = load_yaml(REPO_ROOT / "template.yaml")["Resources"]["HttpApi"]["Properties"]
    settings = api["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    fmt = json.loads(settings["Format"])
    assert list(fmt) == list(FIELDS)
    assert fmt["sub"] == "$context.authorizer.claims.sub" and fmt["route"] == "$context.routeKey"
    assert fmt["requestId"] == "$context.requestId" and fmt["integrationError"] == "$context.integrationErrorMessage"
    # Nothing that could carry a token or a signature: no request header, no query string.
    lowered = settings["Format"].lower()
    for leak in ("$request.", "header", "querystring", "authorization", "$context.identity.apikey"):
        assert leak not in lowered, leak


def test_a_served_request_is_logged_with_route_status_and_sub(
    stack: LocalStack, access: pytest.LogCaptureFixture
) -> None:
    token = stack.token("alice")
    response = requests.get(
        f"{stack.api_url}/echo/42?X-Amz-Signature={SIGNATURE}&token={token}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200
    line, record = _one_line(access)
    event = response.json()["event"]
    assert record["requestId"] == event["requestContext"]["requestId"]
    assert (record["method"], record["route"], record["path"], record["status"]) == (
        "GET",
        "GET /echo/{id}",
        "/echo/42",
        "200",
    )
    assert record["sub"] == "alice" and record["ip"] == "127.0.0.1"
    assert record["latency"].isdigit() and record["integrationLatency"].isdigit()
    assert int(record["integrationLatency"]) <= int(record["latency"])
    assert record["integrationStatus"] == "200" and record["integrationError"] == "-"
    assert record["authorizerError"] == "-"
    assert record["responseLength"] == str(len(response.content))
    # The token and the presigned-URL-style signature were in the request, never in the log.
    assert token not in line and token.split(".")[2] not in line and SIGNATURE not in line


def test_a_refused_token_is_logged_without_it(stack: LocalStack, access: pytest.LogCaptureFixture) -> None:
    assert stack.issuer
    expired = stack.issuer.issue_token("mallory", ttl=-10)
    response = requests.get(f"{stack.api_url}/echo/1", headers={"Authorization": f"Bearer {expired}"}, timeout=10)
    assert response.status_code == 401
    line, record = _one_line(access)
    assert (record["route"], record["status"], record["sub"]) == ("GET /echo/{id}", "401", "-")
    assert record["authorizerError"] not in ("-", "") and record["integrationStatus"] == "-"
    assert expired not in line and expired.split(".")[1] not in line and "mallory" not in line


def test_a_failing_function_is_an_integration_error(stack: LocalStack, access: pytest.LogCaptureFixture) -> None:
    response = requests.get(f"{stack.api_url}/boom", timeout=10)
    assert response.status_code == 500
    line, record = _one_line(access)
    assert (record["route"], record["status"], record["sub"]) == ("GET /boom", "500", "-")
    assert record["integrationError"] == "The function raised RuntimeError"
    assert "boom on purpose" not in line  # the exception's message may quote request data


def test_an_unrouted_request_has_no_route(stack: LocalStack, access: pytest.LogCaptureFixture) -> None:
    response = requests.delete(f"{stack.api_url}/nowhere?sig={SIGNATURE}", timeout=10)
    assert response.status_code == 404
    line, record = _one_line(access)
    assert (record["method"], record["route"], record["path"], record["status"]) == ("DELETE", "-", "/nowhere", "404")
    assert SIGNATURE not in line


def test_the_local_token_route_never_logs_the_token_it_issues(
    stack: LocalStack, access: pytest.LogCaptureFixture
) -> None:
    token = requests.get(f"{stack.api_url}/_local/token?sub=carol", timeout=10).json()["token"]
    line, record = _one_line(access)
    assert record["status"] == "200" and record["path"] == "/_local/token"
    assert token not in line and "carol" not in line
