"""API fuzzing with schemathesis against the local gateway's own /openapi.json (issue 6 item 2).

Every documented operation gets schema-valid and schema-violating requests with a valid token.
Checks: no 5xx; status codes, content types, headers and bodies conform to the document (which
declares the RFC 9457 problem responses, see scripts/gen_openapi.py); every error is an
``application/problem+json`` problem document; schema-violating requests are refused (4xx); a
method the path does not take answers 405; schema-valid requests are accepted
(``positive_data_acceptance``: the document states what the server enforces by hand, e.g. the
accepted content types, http(s) source URLs, titles without control characters). One documented
exception: a list cursor of the right shape that this API did not issue is a 400 (its HMAC is not
something a schema can state, SPEC §3.3); every other 400/413/415/422 to a valid request fails.

Bounded: at most ``FUZZ_EXAMPLES`` (default 25) examples per operation and mode.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.generation import GenerationMode

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
DOCUMENT = Path(__file__).resolve().parents[3] / "layers" / "core" / "imageapi" / "openapi.json"
# Collected from the committed document (the gateway serves that file; the fixture checks it).
OPERATIONS = sorted((m.upper(), p) for p, ops in json.loads(DOCUMENT.read_text())["paths"].items() for m in ops)


@pytest.fixture(scope="module")
def fuzz_token(sec_stack: Any) -> str:
    return sec_stack.token("sec-fuzzer")


@pytest.fixture(scope="module")
def fuzz_source(files: Any) -> str:
    """Where URL imports go: a loopback URL (never a real host, never a DNS lookup)."""
    return files.add("/fuzz-source.png", b"\x89PNG\r\n\x1a\nnot really", "image/png")


@pytest.fixture(scope="module")
def api_schema(sec_stack: Any) -> Any:
    served = requests.get(sec_stack.api_url + "/openapi.json", timeout=30)
    assert served.status_code == 200
    assert {(m.upper(), p) for p, ops in served.json()["paths"].items() for m in ops} == set(OPERATIONS)
    schema = schemathesis.openapi.from_url(sec_stack.api_url + "/openapi.json")
    # Unknown query parameters are ignored, as by most HTTP APIs: not a violation to reject.
    schema.config.generation.update(allow_extra_parameters=False)
    return schema


@schemathesis.check
def error_is_a_problem_document(ctx: Any, response: Any, case: Any) -> bool | None:
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    assert content_type.startswith("application/problem+json"), f"{response.status_code} as {content_type!r}"
    body = response.json()
    assert isinstance(body, dict), body
    assert body.get("status") == response.status_code, body
    for name in ("type", "title", "detail"):
        assert isinstance(body.get(name), str) and body[name], (name, body)
    assert "Traceback" not in response.text and 'File "' not in response.text
    return None


def _loopback_sources(case: Any, source: str) -> None:
    """URL imports must only ever reach 127.0.0.1: point any generated URL at the file server."""
    if isinstance(case.body, dict):
        for field in ("source_url", "url"):
            if isinstance(case.body.get(field), str):
                case.body[field] = source


def _foreign_cursor_refused(case: Any, response: Any) -> bool:
    """A well-shaped cursor this API never issued: the documented 400 of SPEC §3.3."""
    cursor = (case.query or {}).get("cursor")
    if not cursor or response.status_code != 400:
        return False
    return "cursor" in str(response.json().get("detail", ""))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_conforms_to_its_openapi_document(
    method: str, path: str, mode: GenerationMode, api_schema: Any, sec_stack: Any, fuzz_token: str, fuzz_source: str
) -> None:
    operation = api_schema[path][method]
    spec = operation.definition.raw
    media_type = None
    if mode is GenerationMode.NEGATIVE:
        if not spec.get("parameters") and not spec.get("requestBody"):
            pytest.skip("no input to violate")
        if spec.get("requestBody"):
            # In multipart every value is text ("-21" is a fine title), so a type violation there
            # is not one the server can see: violate JSON bodies only.
            media_type = "application/json"

    @given(case=operation.as_strategy(generation_mode=mode, media_type=media_type))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
    )
    def run(case: Any) -> None:
        _loopback_sources(case, fuzz_source)
        headers = {**(case.headers or {}), "Authorization": f"Bearer {fuzz_token}"}
        response = case.call(base_url=sec_stack.api_url, headers=headers, timeout=30)
        excluded = [positive_data_acceptance] if _foreign_cursor_refused(case, response) else []
        case.validate_response(
            response,
            additional_checks=[error_is_a_problem_document],
            excluded_checks=excluded,
            headers=headers,
            transport_kwargs={"base_url": sec_stack.api_url, "headers": headers, "timeout": 30},
        )

    run()
