"""The local stand-in for the renditions CDN (template.yaml's RenditionsDistribution, SPEC §3.10).

Mounted on the local gateway under ``/_cdn`` (same origin as the web page, so an ``<img src>``
needs nothing more). It does what the distribution does in AWS:

- refuses anything outside ``renditions/`` (the distribution's viewer-request function: 404) and
  any method but GET/HEAD;
- verifies the signed URL the way CloudFront does for a trusted key group with a canned policy:
  ``Key-Pair-Id`` names a known key, ``Signature`` is RSA-SHA1 over the policy rebuilt from the
  URL as requested (without the three signing parameters), and ``Expires`` is in the future;
  otherwise 403 with CloudFront's XML error body;
- reads the object from the local S3 endpoint (what origin access control lets CloudFront read),
  and answers with ``Cache-Control`` (the response headers policy's), ``ETag`` and ``304`` on a
  matching ``If-None-Match``.

The key pair lives in the local state directory (``cdn-signing-key.pem``, like the local JWT
key); ``provision`` stores the private key in the local Secrets Manager and returns the variables
that point the functions at it, exactly as the template does in AWS.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug.wrappers import Request, Response

from .auth import _load_or_create_key

MOUNT = "/_cdn"
KEY_FILE = "cdn-signing-key.pem"
SERVED_PREFIX = "renditions/"
_SIGNING_PARAMS = ("Expires", "Signature", "Key-Pair-Id")


def key_pair_id(public_key: rsa.RSAPublicKey) -> str:
    """A CloudFront-like public key id (K + 13 upper-case characters), derived from the key."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "K" + base64.b32encode(hashlib.sha256(der).digest()).decode()[:13]


def _error(status: int, code: str, message: str) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(body, status=status, content_type="text/xml", headers={"X-Cache": "Error from cloudfront"})


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"), validate=True)


@dataclass
class LocalCdn:
    """WSGI app serving ``<base_url>/<key>`` from ``bucket`` for URLs signed by a trusted key."""

    base_url: str  # what signed URLs start with, e.g. http://127.0.0.1:3000/_cdn
    trusted_keys: dict[str, rsa.RSAPublicKey]  # Key-Pair-Id -> public key (the key group)
    s3: Any  # boto3 S3 client on the local endpoint
    bucket: str
    cache_control: str = "private, max-age=3600, immutable"
    clock: Callable[[], float] = time.time

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        raw_path, raw_query = _raw_target(request)
        key = unquote(raw_path.lstrip("/"))
        if not key.startswith(SERVED_PREFIX) or ".." in key.split("/"):
            return Response(
                "Not Found",
                status=404,
                content_type="text/plain",
                headers={"X-Cache": "FunctionGeneratedResponse from cloudfront"},
            )
        if request.method not in ("GET", "HEAD"):
            return _error(
                403, "MethodNotAllowed", "This distribution is not configured to allow the HTTP request method"
            )
        denied = self.verify(self.base_url + raw_path, raw_query)
        if denied is not None:
            return denied
        return self._serve(request, key)

    def verify(self, resource_base: str, raw_query: str) -> Response | None:
        """None when the URL carries a valid, unexpired canned-policy signature by a trusted key."""
        pairs = [p.partition("=") for p in raw_query.split("&") if p]
        signing = {k: v for k, _, v in pairs if k in _SIGNING_PARAMS}
        rest = "&".join(f"{k}={v}" if sep else k for k, sep, v in pairs if k not in _SIGNING_PARAMS)
        if "Key-Pair-Id" not in signing:
            return _error(403, "MissingKey", "Missing Key-Pair-Id query parameter or cookie value")
        public_key = self.trusted_keys.get(unquote(signing["Key-Pair-Id"]))
        if public_key is None:
            return _error(403, "InvalidKey", "Unknown Key")
        if "Signature" not in signing or "Expires" not in signing or not signing["Expires"].isdigit():
            return _error(403, "MalformedSignature", "Could not parse canned policy or signature")
        expires = int(signing["Expires"])
        resource = f"{resource_base}?{rest}" if rest else resource_base
        policy = json.dumps(
            {"Statement": [{"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}]},
            separators=(",", ":"),
        ).encode()
        try:
            public_key.verify(_unb64(unquote(signing["Signature"])), policy, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 - CloudFront signs with SHA-1
        except (InvalidSignature, binascii.Error, ValueError):
            return _error(403, "AccessDenied", "Access denied")
        if self.clock() >= expires:
            return _error(403, "AccessDenied", "Access denied")
        return None

    def _serve(self, request: Request, key: str) -> Response:
        try:
            head = self.s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("404", "NoSuchKey", "NotFound", "403"):
                # Origin access control grants GetObject only: S3 answers 403 for a missing key.
                return _error(403, "AccessDenied", "Access Denied")
            raise
        headers = {
            "ETag": head["ETag"],
            "Cache-Control": self.cache_control,
            "Last-Modified": head["LastModified"].strftime("%a, %d %b %Y %H:%M:%S GMT"),
            "X-Content-Type-Options": "nosniff",
            "Accept-Ranges": "bytes",
        }
        if head["ETag"] in [f'"{tag}"' for tag in request.if_none_match.as_set()] or request.if_none_match.star_tag:
            return Response(status=304, headers={**headers, "X-Cache": "RefreshHit from cloudfront"})
        content_type = head.get("ContentType") or "application/octet-stream"
        if request.method == "HEAD":
            response = Response(
                status=200, content_type=content_type, headers={**headers, "X-Cache": "Miss from cloudfront"}
            )
            response.headers["Content-Length"] = str(head["ContentLength"])
            return response
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return Response(
            body, status=200, content_type=content_type, headers={**headers, "X-Cache": "Miss from cloudfront"}
        )


def _raw_target(request: Request) -> tuple[str, str]:
    """The path below the mount point and the query, as the client sent them (not decoded):
    CloudFront verifies the signature over the URL as requested."""
    environ = request.environ
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    script = environ.get("SCRIPT_NAME", "")
    if raw_uri:
        raw_path = raw_uri.split("?", 1)[0]
        raw_path = raw_path[len(script) :] if script and raw_path.startswith(script) else raw_path
    else:
        from urllib.parse import quote

        raw_path = quote(environ.get("PATH_INFO", "/"), safe="/-_.~")
    return raw_path or "/", environ.get("QUERY_STRING", "")


# ---------------------------------------------------------------- logs


_SIGNED_QUERY = re.compile(re.escape(MOUNT) + r"/([^?\s\"]*)\?[^\s\"]*")


class RedactSignedUrls(logging.Filter):
    """The gateway's request log names each request's path and query; a signed rendition URL's
    query is a credential until it expires, so it never reaches the log (as S3 URLs never do)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SIGNED_QUERY.sub(MOUNT + r"/\1?[redacted]", a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str) and MOUNT in record.msg:
            record.msg = _SIGNED_QUERY.sub(MOUNT + r"/\1?[redacted]", record.msg)
        return True


def redact_signed_urls_in_request_logs() -> None:
    """Installs RedactSignedUrls on werkzeug's request logger (once per process)."""
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactSignedUrls) for f in logger.filters):
        logger.addFilter(RedactSignedUrls())


# ---------------------------------------------------------------- provisioning in the local stack


def load_key(state_dir: Path) -> rsa.RSAPrivateKey:
    return _load_or_create_key(Path(state_dir), KEY_FILE)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def store_private_key(secrets: Any, secret_name: str, key: rsa.RSAPrivateKey) -> str:
    """Put the PEM into the local Secrets Manager (what CdnKeyPair does in AWS); returns its ARN."""
    try:
        return secrets.create_secret(Name=secret_name, SecretString=private_pem(key))["ARN"]
    except secrets.exceptions.ResourceExistsException:
        return secrets.put_secret_value(SecretId=secret_name, SecretString=private_pem(key))["ARN"]


def provision(
    *, state_dir: Path, base_url: str, secrets: Any, s3: Any, bucket: str, secret_name: str, ttl_seconds: int
) -> tuple[LocalCdn, dict[str, str]]:
    """The stand-in app and the environment that points the signing functions at it."""
    redact_signed_urls_in_request_logs()
    key = load_key(state_dir)
    kid = key_pair_id(key.public_key())
    arn = store_private_key(secrets, secret_name, key)
    app = LocalCdn(
        base_url=base_url.rstrip("/"),
        trusted_keys={kid: key.public_key()},
        s3=s3,
        bucket=bucket,
        cache_control=f"private, max-age={ttl_seconds}, immutable",
    )
    env = {"CDN_BASE_URL": base_url.rstrip("/"), "CDN_KEY_PAIR_ID": kid, "CDN_PRIVATE_KEY_SECRET": arn}
    return app, env
