"""CloudFormation custom resource `Custom::CdnKeyPair`: the renditions CDN's signing key pair,
generated at deploy time (SPEC §3.10).

Create (and Update, when its properties change): a new RSA key pair. The private key (PKCS#8 PEM)
goes into the Secrets Manager secret named by `SecretId` and nowhere else (never logged, never in
the response); the public key PEM and a fingerprint are the resource's attributes, for the
template's AWS::CloudFront::PublicKey. Delete: nothing to do, the secret is the template's own
resource. Every outcome is reported to CloudFormation's pre-signed `ResponseURL` the way
cfn-response does, failures included, so a stack never waits an hour for an answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.request
from typing import Any

import boto3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

log = logging.getLogger("cdnkeys")
log.setLevel(logging.INFO)

KEY_SIZES = (2048,)  # what CloudFront accepts for trusted key groups
RESPONSE_TIMEOUT_S = 10


class RequestError(ValueError):
    """The request cannot be carried out; reported to CloudFormation as FAILED."""


def generate_key_pair(key_size: int) -> tuple[bytes, bytes]:
    """(private PKCS#8 PEM, public SubjectPublicKeyInfo PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def fingerprint(public_pem: bytes) -> str:
    """A short, stable id of the public key (names the CloudFront public key, physical id)."""
    der = serialization.load_pem_public_key(public_pem).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:16]


def create_key_pair(properties: dict[str, Any], secrets: Any) -> tuple[str, dict[str, str]]:
    secret_id = properties.get("SecretId")
    if not isinstance(secret_id, str) or not secret_id:
        raise RequestError("SecretId (the secret that receives the private key) is required")
    try:
        key_size = int(properties.get("KeySize", 2048))
    except (TypeError, ValueError):
        raise RequestError("KeySize must be an integer") from None
    if key_size not in KEY_SIZES:
        raise RequestError(f"KeySize must be one of {KEY_SIZES} (CloudFront's trusted key groups)")
    private_pem, public_pem = generate_key_pair(key_size)
    secrets.put_secret_value(SecretId=secret_id, SecretString=private_pem.decode())
    fp = fingerprint(public_pem)
    return f"cdn-key-{fp}", {"PublicKeyPem": public_pem.decode(), "Fingerprint": fp}


def send_response(
    event: dict[str, Any], context: Any, status: str, physical_id: str, data: dict[str, str], reason: str
) -> None:
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason or f"See CloudWatch log stream {getattr(context, 'log_stream_name', '?')}",
            "PhysicalResourceId": physical_id,
            "StackId": event.get("StackId"),
            "RequestId": event.get("RequestId"),
            "LogicalResourceId": event.get("LogicalResourceId"),
            "NoEcho": False,
            "Data": data,
        }
    ).encode()
    url = event["ResponseURL"]
    if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
        raise RequestError("ResponseURL must be https (or loopback, for tests and sam local)")
    # An empty Content-Type, as cfn-response sends: the pre-signed S3 PUT was signed without one.
    request = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": ""})  # noqa: S310
    with urllib.request.urlopen(request, timeout=RESPONSE_TIMEOUT_S) as response:  # noqa: S310 - checked above
        log.info("reported %s to CloudFormation: HTTP %s", status, response.status)


def handler(event: dict[str, Any], context: Any, secrets: Any = None) -> None:
    request_type = event.get("RequestType")
    physical_id = event.get("PhysicalResourceId") or f"cdn-key-failed-{event.get('RequestId', 'unknown')}"
    data: dict[str, str] = {}
    status, reason = "SUCCESS", ""
    log.info("%s %s (%s)", request_type, event.get("LogicalResourceId"), event.get("ResourceType"))
    try:
        if request_type in ("Create", "Update"):
            physical_id, data = create_key_pair(
                event.get("ResourceProperties") or {}, secrets or boto3.client("secretsmanager")
            )
        elif request_type != "Delete":
            raise RequestError(f"unknown RequestType {request_type!r}")
    except Exception as exc:  # every failure must reach CloudFormation, or the stack hangs
        log.exception("custom resource failed")
        status, reason = "FAILED", f"{type(exc).__name__}: {exc}"[:400]
    send_response(event, context, status, physical_id, data, reason)
