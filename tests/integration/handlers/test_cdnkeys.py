"""The deploy-time custom resource that generates the renditions CDN's key pair (functions/cdnkeys):
called with CloudFormation's request (events/cdnkeys_create.json), against Secrets Manager on moto,
answering to a loopback stand-in for CloudFormation's pre-signed response URL."""

import copy
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from local.server import POLL_INTERVAL_S
from tests.harness.handlers import EVENTS, FakeContext

SAMPLE = json.loads((EVENTS / "cdnkeys_create.json").read_text())


class _Responses(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], dict[str, Any]]]

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), json.loads(body)))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def cloudformation() -> Iterator[Any]:
    """Where the handler reports: records every PUT it receives."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Responses)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL_S}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def cdnkeys(handlers: Callable[[str], ModuleType]) -> ModuleType:
    return handlers("cdnkeys")


@pytest.fixture
def secret(aws: Any, moto_endpoint: str) -> str:
    client = boto3.client("secretsmanager", endpoint_url=moto_endpoint)
    return client.create_secret(Name=f"cdn-signing-key-{uuid.uuid4().hex}")["ARN"]


def _event(server: Any, request_type: str = "Create", **properties: Any) -> dict[str, Any]:
    event = copy.deepcopy(SAMPLE)
    event["RequestType"] = request_type
    event["ResponseURL"] = f"http://127.0.0.1:{server.server_port}/cfn-response?X-Amz-Signature=x"
    event["ResourceProperties"].update(properties)
    if request_type != "Create":
        event["PhysicalResourceId"] = "cdn-key-0123456789abcdef"
    return event


def test_create_stores_the_private_key_and_answers_the_public_key(
    cdnkeys: ModuleType, cloudformation: Any, secret: str, moto_endpoint: str
) -> None:
    cdnkeys.handler(_event(cloudformation, SecretId=secret), FakeContext())
    [(headers, answer)] = cloudformation.received
    assert answer["Status"] == "SUCCESS", answer
    assert headers.get("Content-Type", "") == ""  # as cfn-response: the pre-signed PUT has none
    assert (answer["StackId"], answer["RequestId"], answer["LogicalResourceId"]) == (
        SAMPLE["StackId"],
        SAMPLE["RequestId"],
        "CdnKeyPair",
    )
    public_pem = answer["Data"]["PublicKeyPem"].encode()
    public = serialization.load_pem_public_key(public_pem)
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
    assert answer["PhysicalResourceId"] == f"cdn-key-{answer['Data']['Fingerprint']}"
    assert "PRIVATE" not in json.dumps(answer)

    stored = boto3.client("secretsmanager", endpoint_url=moto_endpoint).get_secret_value(SecretId=secret)
    private = serialization.load_pem_private_key(stored["SecretString"].encode(), None)
    assert isinstance(private, rsa.RSAPrivateKey)
    message = b'{"Statement":[]}'
    public.verify(private.sign(message, padding.PKCS1v15(), hashes.SHA1()), message, padding.PKCS1v15(), hashes.SHA1())


def test_an_update_makes_a_new_key_pair_under_a_new_physical_id(
    cdnkeys: ModuleType, cloudformation: Any, secret: str
) -> None:
    cdnkeys.handler(_event(cloudformation, SecretId=secret), FakeContext())
    cdnkeys.handler(_event(cloudformation, "Update", SecretId=secret), FakeContext())
    first, second = (answer for _, answer in cloudformation.received)
    assert second["Status"] == "SUCCESS"
    assert second["Data"]["PublicKeyPem"] != first["Data"]["PublicKeyPem"]
    assert second["PhysicalResourceId"] != first["PhysicalResourceId"]


def test_delete_succeeds_and_leaves_the_secret_to_cloudformation(
    cdnkeys: ModuleType, cloudformation: Any, secret: str, moto_endpoint: str
) -> None:
    cdnkeys.handler(_event(cloudformation, "Delete", SecretId=secret), FakeContext())
    [(_, answer)] = cloudformation.received
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", "cdn-key-0123456789abcdef")
    client = boto3.client("secretsmanager", endpoint_url=moto_endpoint)
    assert client.describe_secret(SecretId=secret)["ARN"] == secret


@pytest.mark.parametrize(
    ("properties", "reason"),
    [
        ({"SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf"}, "ResourceNotFound"),
        ({"SecretId": ""}, "SecretId"),
        ({"KeySize": "1024"}, "KeySize"),
        ({"KeySize": "big"}, "KeySize"),
    ],
)
def test_a_failure_is_reported_to_cloudformation_not_left_hanging(
    cdnkeys: ModuleType, cloudformation: Any, secret: str, properties: dict[str, str], reason: str
) -> None:
    cdnkeys.handler(_event(cloudformation, **{"SecretId": secret, **properties}), FakeContext())
    [(_, answer)] = cloudformation.received
    assert answer["Status"] == "FAILED"
    assert reason in answer["Reason"]
    assert answer["Data"] == {}


def test_an_unknown_request_type_fails(cdnkeys: ModuleType, cloudformation: Any, secret: str) -> None:
    cdnkeys.handler(_event(cloudformation, "Rotate", SecretId=secret), FakeContext())
    [(_, answer)] = cloudformation.received
    assert answer["Status"] == "FAILED" and "RequestType" in answer["Reason"]


def test_the_response_url_must_be_https(cdnkeys: ModuleType, secret: str) -> None:
    event = copy.deepcopy(SAMPLE)
    event["ResponseURL"] = "file:///etc/passwd"
    with pytest.raises(cdnkeys.RequestError):
        cdnkeys.handler(event, FakeContext())
