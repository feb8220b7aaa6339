"""Handler tests: the real handlers, called with API Gateway v2 / SQS events built from the
samples in events/, against a real moto server holding the resources template.yaml declares."""

import base64
import copy
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.harness.handlers import FakeContext, load_handler

ROOT = Path(__file__).resolve().parents[3]
EVENTS = ROOT / "events"


def _load_handler_module(name: str) -> ModuleType:
    return load_handler(name)


def _reset_cached_clients() -> None:
    from imageapi.context import rebuild

    rebuild()


@pytest.fixture(scope="package")
def aws(moto_endpoint: str) -> Iterator[Any]:
    """Creates the template's resources on moto and points the handlers at them."""
    from local.aws import create_resources

    template = create_resources(moto_endpoint)
    saved = dict(os.environ)
    os.environ.update(template.environment)
    os.environ["AWS_ENDPOINT_URL"] = moto_endpoint
    _reset_cached_clients()
    yield template
    os.environ.clear()
    os.environ.update(saved)
    _reset_cached_clients()


@pytest.fixture
def settings_override(aws: Any) -> Iterator[Callable[..., None]]:
    """Change settings (as template parameters would) for one test."""
    saved = dict(os.environ)

    def apply(**values: object) -> None:
        os.environ.update({name.upper(): str(value) for name, value in values.items()})
        _reset_cached_clients()

    yield apply
    os.environ.clear()
    os.environ.update(saved)
    _reset_cached_clients()


@pytest.fixture(scope="package")
def handlers(aws: Any) -> Callable[[str], ModuleType]:
    loaded: dict[str, ModuleType] = {}

    def get(name: str) -> ModuleType:
        if name not in loaded:
            loaded[name] = _load_handler_module(name)
        return loaded[name]

    return get


class Api:
    """Calls an HTTP function the way API Gateway would, starting from a sample event."""

    def __init__(self, handlers: Callable[[str], ModuleType]) -> None:
        self._handlers = handlers

    def call(
        self,
        function: str,
        sample: str,
        *,
        path: str | None = None,
        query: dict[str, str] | None = None,
        body: Any = None,
        raw_body: str | None = None,
        binary: bytes | None = None,
        sub: str | None = "alice",
        headers: dict[str, str] | None = None,
    ) -> "Reply":
        event = copy.deepcopy(json.loads((EVENTS / sample).read_text()))
        if path is not None:
            event["rawPath"] = path
            event["requestContext"]["http"]["path"] = path
        if query is not None:
            event["rawQueryString"] = urlencode(query)
            event["queryStringParameters"] = query or None
        if body is not None:
            event["body"] = json.dumps(body)
        if raw_body is not None:
            event["body"] = raw_body
        if binary is not None:  # API Gateway base64-encodes binary bodies
            event["body"] = base64.b64encode(binary).decode()
            event["isBase64Encoded"] = True
        if headers:
            event["headers"].update(headers)
        claims = event["requestContext"].get("authorizer", {}).get("jwt", {}).get("claims")
        if claims is not None:
            if sub is None:
                del event["requestContext"]["authorizer"]
            else:
                claims["sub"] = sub
        result = self._handlers(function).handler(event, FakeContext())
        return Reply(result)


class Reply:
    def __init__(self, result: dict[str, Any]) -> None:
        self.status: int = result["statusCode"]
        self.headers: dict[str, str] = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
        self.text: str = result.get("body") or ""

    def json(self) -> Any:
        return json.loads(self.text)

    def assert_problem(self, status: int) -> dict[str, Any]:
        assert self.status == status, self.text
        assert self.headers["content-type"] == "application/problem+json"
        body = self.json()
        assert body["status"] == status and body["title"] and body["detail"] and body["type"]
        return body


@pytest.fixture
def api(handlers: Callable[[str], ModuleType]) -> Api:
    return Api(handlers)


def sqs_event_for_key(key: str, message_id: str = "m-1") -> dict[str, Any]:
    """The sample SQS-wrapped S3 event, for another object key (URL-encoded as S3 does)."""
    from urllib.parse import quote_plus

    event = json.loads((EVENTS / "ingest_s3_via_sqs.json").read_text())
    s3_event = json.loads(event["Records"][0]["body"])
    s3_event["Records"][0]["s3"]["object"]["key"] = quote_plus(key, safe="/")
    event["Records"][0]["body"] = json.dumps(s3_event)
    event["Records"][0]["messageId"] = message_id
    return event


@pytest.fixture
def ingest(handlers: Callable[[str], ModuleType]) -> Callable[..., dict[str, Any]]:
    def run(*keys: str) -> dict[str, Any]:
        records = [sqs_event_for_key(k, f"m-{i}")["Records"][0] for i, k in enumerate(keys)]
        return handlers("ingest").handler({"Records": records}, FakeContext())

    return run
