"""Hygiene (issue 6 item 5): no secret in any log, security headers on every response, CORS only
for configured origins."""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.harness.http import Client, assert_problem
from tests.harness.images import jpeg
from tests.harness.logs import capture_logs
from tests.harness.stack import FileServer

ROOT = Path(__file__).resolve().parents[3]


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_logs_never_hold_tokens_signatures_or_url_credentials(sec_stack: Any, files: FileServer) -> None:
    token = sec_stack.token("sec-logs")
    client = Client(sec_stack.api_url, token)
    secrets: dict[str, str] = {"token": token, "token signature": token.rsplit(".", 1)[1]}
    png = files.add("/logs.png", jpeg(40, 30), "image/jpeg")
    with capture_logs() as logs:
        # Authenticated traffic of every kind, and refused tokens.
        created = client.request(
            "POST", "/images", params={"title": "logs"}, data=jpeg(50, 40), headers={"Content-Type": "image/jpeg"}
        )
        image_id = created.json()["id"]
        assert client.wait_for(image_id)["status"] == "ready"
        client.request("GET", "/images")
        client.request("GET", f"/images/{image_id}/analysis")
        expired = sec_stack.issuer.issue_token("sec-logs", ttl=-1)
        secrets["expired token"] = expired
        assert (
            requests.get(
                sec_stack.api_url + "/images", headers={"Authorization": f"Bearer {expired}"}, timeout=30
            ).status_code
            == 401
        )
        bad = token[:-6] + "AAAAAA"
        secrets["tampered token"] = bad
        assert (
            requests.get(
                sec_stack.api_url + "/images", headers={"Authorization": f"Bearer {bad}"}, timeout=30
            ).status_code
            == 401
        )

        # Presigned POST form and presigned GETs (fresh, then an expired one S3 refuses).
        form = client.request(
            "POST", "/images", json={"title": "form", "content_type": "image/jpeg", "size": 1000}
        ).json()
        for name, value in form["upload"]["fields"].items():
            if name.lower() in ("x-amz-signature", "policy", "signature"):
                secrets[f"form {name}"] = value
        upload = requests.post(
            form["upload"]["url"], data=form["upload"]["fields"], files={"file": ("x", b"x" * 2000)}, timeout=30
        )
        assert upload.status_code == 400  # too large for the form: S3 refuses and logs the failure
        link = client.request("GET", f"/images/{image_id}/download", params={"redirect": "false"}).json()["url"]
        secrets["download signature"] = _query(link)["X-Amz-Signature"]
        redirect = client.request("GET", f"/images/{image_id}/download", params={"variant": "original"})
        secrets["original signature"] = _query(redirect.headers["Location"])["X-Amz-Signature"]
        stale = link.replace(
            _query(link)["X-Amz-Date"], time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 4000))
        )
        assert requests.get(stale, timeout=30).status_code == 403  # logged by the S3 endpoint as a failure

        # URL import: credentials and secret query strings in source URLs.
        with_credentials = png.replace("http://", "http://importer:hunter2-password@")
        secrets["url password"] = "hunter2-password"
        assert_problem(client.request("POST", "/images", json={"title": "creds", "source_url": with_credentials}), 400)
        secrets["failing url query"] = "SECRET-QUERY-404"
        missing = png.replace("/logs.png", "/missing.png") + "?token=SECRET-QUERY-404"
        failed = client.request("POST", "/images", json={"title": "missing", "source_url": missing})
        assert failed.status_code == 502
        assert "SECRET-QUERY-404" not in failed.text  # nor in what the client is told
        secrets["working url query"] = "SECRET-QUERY-OK"
        imported = client.request(
            "POST", "/images", json={"title": "imported", "source_url": png + "?sig=SECRET-QUERY-OK"}
        )
        assert imported.status_code == 201, imported.text
        assert client.wait_for(imported.json()["id"])["status"] == "ready"

    text = logs.text
    # The capture works: it saw the gateway, the S3 endpoint's failure, the fetch and ingest.
    assert image_id in text, "no log line names the image"
    assert "GET /images" in text and "fetching source" in text
    assert "403" in text  # the expired presigned GET was logged (without its query)
    for name, secret in secrets.items():
        assert secret not in text, (
            f"the logs contain the {name}: " + next(line for line in text.splitlines() if secret in line)[:600]
        )
    assert "hunter2" not in text and "X-Amz-Signature=" not in text and "Authorization': 'Bearer" not in text


def test_the_event_with_its_token_is_never_logged_even_when_event_logging_is_enabled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """POWERTOOLS_LOGGER_LOG_EVENT=true would log each API event, Authorization header included;
    the API's handlers pin log_event=False."""
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    from imageapi.http.api import build_resolver, lambda_entry, logger

    app = build_resolver()

    @app.get("/health")
    def health() -> dict[str, str]:
        logger.info("health checked")
        return {"status": "ok"}

    handler = lambda_entry(app)
    event = copy.deepcopy(json.loads((ROOT / "events" / "list_images.json").read_text()))
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/health"
    event["requestContext"]["http"]["method"] = "GET"
    event["routeKey"] = "GET /health"
    event["headers"]["authorization"] = "Bearer SECRET.TOKEN.VALUE"

    class Context:
        function_name, function_version, memory_limit_in_mb = "f", "$LATEST", 128
        invoked_function_arn, aws_request_id = "arn:aws:lambda:us-east-1:1:function:f", "r"

    with capture_logs(this_thread=True) as logs:
        assert handler(event, Context())["statusCode"] == 200
    assert logs.lines, "the capture must see the handler's own log lines"
    assert "SECRET.TOKEN.VALUE" not in logs.text


# ------------------------------------------------------------------------------ headers


@pytest.fixture(scope="module")
def some_responses(owner_a: Client, sec_stack: Any) -> dict[str, requests.Response]:
    created = owner_a.request(
        "POST", "/images", params={"title": "headers"}, data=jpeg(30, 20), headers={"Content-Type": "image/jpeg"}
    )
    image_id = created.json()["id"]
    owner_a.wait_for(image_id)
    pending = owner_a.request("POST", "/images", json={"title": "p", "content_type": "image/png", "size": 5}).json()
    anonymous = Client(sec_stack.api_url, None)
    responses = {
        "201 create": created,
        "201 presign": owner_a.request("POST", "/images", json={"title": "q", "content_type": "image/png", "size": 5}),
        "200 health": anonymous.request("GET", "/health"),
        "200 openapi": anonymous.request("GET", "/openapi.json"),
        "200 docs": anonymous.request("GET", "/docs"),
        "200 list": owner_a.request("GET", "/images"),
        "200 get": owner_a.request("GET", f"/images/{image_id}"),
        "200 patch": owner_a.request("PATCH", f"/images/{image_id}", json={"title": "renamed"}),
        "200 analysis": owner_a.request("GET", f"/images/{image_id}/analysis"),
        "200 link": owner_a.request("GET", f"/images/{image_id}/download", params={"redirect": "false"}),
        "302 download": owner_a.request("GET", f"/images/{image_id}/download"),
        "200 compat list": owner_a.request("GET", "/list_images"),
        "400 bad json": owner_a.request("POST", "/images", data=b"{", headers={"Content-Type": "application/json"}),
        "404 unknown": owner_a.request("GET", "/images/01JDQZ8Z6J8V0000000000ABCD"),
        "409 pending": owner_a.request("GET", f"/images/{pending['image']['id']}/analysis"),
        "413 too large": owner_a.request(
            "POST", "/images", json={"title": "big", "content_type": "image/png", "size": 10**12}
        ),
        "415 type": owner_a.request("POST", "/images", data=b"x", headers={"Content-Type": "text/csv"}),
        "422 invalid": owner_a.request("GET", "/images", params={"limit": "0"}),
    }
    responses["204 delete"] = owner_a.request("DELETE", f"/images/{image_id}")
    return responses


def test_every_function_response_has_nosniff(some_responses: dict[str, requests.Response]) -> None:
    for name, response in some_responses.items():
        assert str(response.status_code) == name.split()[0], (name, response.status_code, response.text[:200])
        assert response.headers.get("X-Content-Type-Options") == "nosniff", name
    for name in ("200 list", "200 get", "404 unknown", "302 download"):
        assert "no-store" in some_responses[name].headers.get("Cache-Control", "") or name == "302 download"


def _csp(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def _assert_strict(csp: dict[str, list[str]]) -> None:
    assert csp["default-src"] in (["'none'"], ["'self'"]), csp
    scripts = csp.get("script-src", csp["default-src"])
    for loose in ("'unsafe-eval'", "*", "http:", "https:", "data:"):
        assert loose not in scripts, (loose, scripts)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp.get("object-src", csp["default-src"]) == ["'none'"]


def test_docs_page_has_a_strict_csp(some_responses: dict[str, requests.Response]) -> None:
    docs = some_responses["200 docs"]
    csp = _csp(docs.headers["Content-Security-Policy"])
    _assert_strict(csp)
    assert csp["connect-src"] == ["'self'"]


def test_web_page_has_a_strict_csp(sec_stack: Any) -> None:
    page = requests.get(sec_stack.api_url + "/", timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    csp = _csp(page.headers["Content-Security-Policy"])
    _assert_strict(csp)
    assert csp["script-src"] == ["'self'"]  # no inline script, no eval
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    script = requests.get(sec_stack.api_url + "/app.js", timeout=30)
    assert script.headers["X-Content-Type-Options"] == "nosniff"


# ------------------------------------------------------------------------------ CORS


def test_cors_only_for_configured_origins(sec_stack: Any, owner_a: Client) -> None:
    allowed = sec_stack.template.api_cors["AllowOrigins"][0]
    assert allowed != "*"
    evil = "https://evil.example"
    for origin, expected in ((evil, None), ("null", None), (allowed, allowed), (sec_stack.api_url, sec_stack.api_url)):
        preflight = requests.options(
            sec_stack.api_url + "/images",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization",
            },
            timeout=30,
        )
        assert preflight.headers.get("Access-Control-Allow-Origin") == expected, (origin, preflight.headers)
        for response in (
            owner_a.request("GET", "/images", headers={"Origin": origin}),
            requests.get(sec_stack.api_url + "/health", headers={"Origin": origin}, timeout=30),
            requests.get(sec_stack.api_url + "/images", headers={"Origin": origin}, timeout=30),  # a 401
        ):
            assert response.headers.get("Access-Control-Allow-Origin") == expected, (origin, response.status_code)
            if expected is None:
                assert "Access-Control-Allow-Credentials" not in response.headers

    # The bucket's CORS (browsers POST uploads straight to S3) follows the same list.
    bucket = next(iter(sec_stack.template.buckets.values())).name
    refused = requests.options(
        f"{sec_stack.aws_url}/{bucket}", headers={"Origin": evil, "Access-Control-Request-Method": "POST"}, timeout=30
    )
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers
    accepted = requests.options(
        f"{sec_stack.aws_url}/{bucket}",
        headers={"Origin": allowed, "Access-Control-Request-Method": "POST"},
        timeout=30,
    )
    assert accepted.status_code == 200 and accepted.headers["Access-Control-Allow-Origin"] == allowed


def test_cors_setting_has_no_wildcard_by_default() -> None:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=Loader)
    default = template["Parameters"]["CorsAllowOrigins"]["Default"]
    assert "*" not in default and default.strip(), default
    assert os.environ.get("CORS_ALLOW_ORIGINS", "") != "*"


def test_webhook_secrets_never_reach_a_log_line(sec_stack: Any) -> None:
    """A webhook's secret (shown once, on create and rotate) appears in no log line of the
    management function, the delivery function or the local stack, at DEBUG too (issue 19)."""
    owner = Client(sec_stack.api_url, sec_stack.token("sec-hygiene-webhooks"))
    channel = "hygiene"
    with capture_logs() as logs:
        created = owner.request(
            "POST", "/webhooks", json={"url": f"{sec_stack.inbox_url}/{channel}", "events": ["image.ready"]}
        )
        assert created.status_code == 201, created.text
        first = created.json()["secret"]
        second = owner.request("POST", f"/webhooks/{created.json()['id']}/rotate-secret").json()["secret"]
        assert owner.request("POST", f"/webhooks/{created.json()['id']}/test").status_code == 202
        deadline = time.monotonic() + 30
        while not sec_stack.inbox.messages(channel):
            assert time.monotonic() < deadline, "the test delivery did not arrive"
            time.sleep(0.1)
    for secret in (first, second):
        assert secret not in logs.text and secret.removeprefix("whsec_") not in logs.text
    assert len(sec_stack.inbox.messages(channel)[0]["headers"]["webhook-signature"].split(" ")) == 2
