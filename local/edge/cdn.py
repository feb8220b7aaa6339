"""The local stand-in for the renditions CDN (template.yaml's RenditionsDistribution, SPEC §3.10).

Mounted on the local gateway under ``/_cdn`` (same origin as the web page, so an ``<img src>``
needs nothing more). It does what the distribution does in AWS, in CloudFront's order:

- refuses anything outside ``renditions/`` (the default behaviour's function: 404) and any method
  but GET/HEAD;
- verifies the signed URL as CloudFront does for a trusted key group, canned or custom policy
  (``signatures``: a custom policy's Resource may end in ``*``, one signature per image); 403 with
  CloudFront's XML error body otherwise;
- ``renditions/*/edge/*`` (the edge behaviour, issue 20): runs the viewer-request function, whose
  Python twin (``imageapi.domain.edge_request``; tests compare it with the JavaScript under node)
  refuses off-list widths and qualities with a 400 and rewrites the request to the object key with
  one format class from ``Accept``; then the origin group: the stored object from the bucket, or
  on a miss the render function (``render``: its handler in-process, or its container under
  ``make sam-dev``) with the function URL event CloudFront sends; ``Vary: Accept`` on every answer,
  the renderer's own ``Cache-Control`` (no-store) kept;
- every other rendition is read from the local S3 endpoint (what origin access control lets
  CloudFront read), with ``Cache-Control`` (the response headers policy's), ``ETag`` and ``304``
  on a matching ``If-None-Match``.

It keeps no cache of its own (the browser's is the one that matters locally), so a deleted image's
URLs find nothing in the bucket and the renderer answers 404 as in AWS after the invalidation.

The key pair lives in the local state directory (``cdn-signing-key.pem``, like the local JWT
key); ``provision`` stores the private key in the local Secrets Manager and returns the variables
that point the functions at it, exactly as the template does in AWS.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.wrappers import Request, Response

from .. import REPO_ROOT
from . import signatures
from .auth import _load_or_create_key

MOUNT = "/_cdn"
KEY_FILE = "cdn-signing-key.pem"
SERVED_PREFIX = "renditions/"
EDGE_BEHAVIOUR = re.compile(r"renditions/.*/edge/.*", re.DOTALL)  # the path pattern renditions/*/edge/*
DEFAULT_WIDTHS = (160, 240, 320, 480, 640, 960, 1280, 1920, 2560, 3840)
RenderFunction = Callable[[dict[str, Any]], dict[str, Any]]  # a function URL event in, its answer out


def key_pair_id(public_key: rsa.RSAPublicKey) -> str:
    """A CloudFront-like public key id (K + 13 upper-case characters), derived from the key."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "K" + base64.b32encode(hashlib.sha256(der).digest()).decode()[:13]


def _error(status: int, code: str, message: str) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(body, status=status, content_type="text/xml", headers={"X-Cache": "Error from cloudfront"})


def _edge_function() -> Any:
    """``imageapi.domain.edge_request``, from the core layer (the functions' package)."""
    core = str(REPO_ROOT / "layers" / "core")
    if core not in sys.path:
        sys.path.insert(0, core)
    from imageapi.domain import edge_request

    return edge_request


def parse_widths(text: str | None) -> tuple[int, ...]:
    """The EdgeWidths parameter (digits and commas, the template's AllowedPattern), or the default."""
    return tuple(sorted({int(w) for w in text.split(",")})) if text else DEFAULT_WIDTHS


def _query(raw_query: str) -> dict[str, list[str]]:
    """Each parameter's raw values in order, as CloudFront Functions sees the query string."""
    values: dict[str, list[str]] = {}
    for part in (p for p in raw_query.split("&") if p):
        name, _, value = part.partition("=")
        values.setdefault(name, []).append(value)
    return values


@dataclass
class LocalCdn:
    """WSGI app serving ``<base_url>/<key>`` from ``bucket`` for URLs signed by a trusted key."""

    base_url: str  # what signed URLs start with, e.g. http://127.0.0.1:3000/_cdn
    trusted_keys: dict[str, rsa.RSAPublicKey]  # Key-Pair-Id -> public key (the key group)
    s3: Any  # boto3 S3 client on the local endpoint
    bucket: str
    cache_control: str = "private, max-age=3600, immutable"
    clock: Callable[[], float] = time.time
    widths: tuple[int, ...] = DEFAULT_WIDTHS  # the EdgeWidths parameter, in the function's code
    render: RenderFunction | None = None  # the edge origin group's fallback (RenderFunction's URL)
    render_invocations: int = 0  # how often the renderer was asked (tests count refusals against it)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        raw_path, raw_query = _raw_target(request)
        key = unquote(raw_path.lstrip("/"))
        edge = EDGE_BEHAVIOUR.fullmatch(raw_path.lstrip("/")) is not None
        if not key.startswith(SERVED_PREFIX) or (not edge and ".." in key.split("/")):
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
        denied = self.verify(self.base_url + raw_path, raw_query, request.remote_addr)
        if denied is not None:
            return denied
        if edge:
            return self._edge(request, raw_path, raw_query)
        return self._serve(request, key, {"Cache-Control": self.cache_control})

    def verify(self, resource_base: str, raw_query: str, viewer_ip: str | None = None) -> Response | None:
        """None when the URL carries a valid signature by a trusted key (canned or custom policy)."""
        denied = signatures.check(resource_base, raw_query, self.trusted_keys, self.clock, viewer_ip)
        return None if denied is None else _error(403, denied.code, denied.message)

    # ------------------------------------------------------------ the edge behaviour

    def _edge(self, request: Request, raw_path: str, raw_query: str) -> Response:
        function = _edge_function()
        result = function.viewer_request(raw_path, _query(raw_query), request.headers.getlist("Accept"), self.widths)
        if isinstance(result, function.Refusal):
            headers = {**result.headers, "X-Cache": "FunctionGeneratedResponse from cloudfront"}
            return Response(result.body(), status=result.status, headers=headers)
        policy = {"Vary": "Accept"}  # RenditionsEdgeResponseHeadersPolicy: Vary overrides
        stored = self._serve(request, result.uri.lstrip("/"), {"Cache-Control": self.cache_control, **policy})
        if stored.status_code != 403 or self.render is None:  # the bucket answered 403: fail over
            return stored
        return self._render(request, result, raw_query, policy)

    def _render(self, request: Request, forward: Any, raw_query: str, policy: dict[str, str]) -> Response:
        version = _query(raw_query).get("v", [""])[0]
        event = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": forward.uri,
            "rawQueryString": f"v={version}",  # the cache policy forwards v only
            "headers": {"x-image-format": forward.format, "host": "render.lambda-url.us-east-1.on.aws"},
            "queryStringParameters": {"v": version},
            "requestContext": {"http": {"method": request.method, "path": forward.uri}, "stage": "$default"},
            "isBase64Encoded": False,
        }
        assert self.render is not None
        with self._lock:
            self.render_invocations += 1
        answer = self.render(event)
        body = answer.get("body") or ""
        data = base64.b64decode(body) if answer.get("isBase64Encoded") else str(body).encode()
        headers = dict(answer.get("headers") or {})
        headers.setdefault("Cache-Control", self.cache_control)  # Override: false (the renderer's no-store stays)
        headers.update({**policy, "X-Content-Type-Options": "nosniff", "X-Cache": "Miss from cloudfront"})
        status = int(answer.get("statusCode", 200))
        etag = headers.get("ETag")
        if status == 200 and etag and self._matches(request, etag):
            return Response(status=304, headers={k: v for k, v in headers.items() if k != "Content-Type"})
        return Response(b"" if request.method == "HEAD" else data, status=status, headers=headers)

    @staticmethod
    def _matches(request: Request, etag: str) -> bool:
        return etag in [f'"{tag}"' for tag in request.if_none_match.as_set()] or request.if_none_match.star_tag

    # ------------------------------------------------------------ the bucket (origin access control)

    def _serve(self, request: Request, key: str, policy: dict[str, str]) -> Response:
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
            "Last-Modified": head["LastModified"].strftime("%a, %d %b %Y %H:%M:%S GMT"),
            "X-Content-Type-Options": "nosniff",
            "Accept-Ranges": "bytes",
            **policy,
        }
        if self._matches(request, head["ETag"]):
            return Response(status=304, headers={**headers, "X-Cache": "RefreshHit from cloudfront"})
        content_type = head.get("ContentType") or "application/octet-stream"
        if request.method == "HEAD":
            response = Response(
                status=200, content_type=content_type, headers={**headers, "X-Cache": "Hit from cloudfront"}
            )
            response.headers["Content-Length"] = str(head["ContentLength"])
            return response
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return Response(
            body, status=200, content_type=content_type, headers={**headers, "X-Cache": "Hit from cloudfront"}
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
    *,
    state_dir: Path,
    base_url: str,
    secrets: Any,
    s3: Any,
    bucket: str,
    secret_name: str,
    ttl_seconds: int,
    widths: tuple[int, ...] = DEFAULT_WIDTHS,
    render: RenderFunction | None = None,
) -> tuple[LocalCdn, dict[str, str | None]]:
    """The stand-in app and the environment that points the signing functions at it. ``render``:
    the render function (its handler in-process), the edge's fallback origin."""
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
        widths=widths,
        render=render,
    )
    env: dict[str, str | None] = {
        "CDN_BASE_URL": base_url.rstrip("/"),
        "CDN_KEY_PAIR_ID": kid,
        "CDN_PRIVATE_KEY_SECRET": arn,
        # The stand-in keeps no copies to invalidate; an AVIF too slow for a miss is stored by a
        # thread of the stack instead of an asynchronous invoke.
        "CDN_DISTRIBUTION_ID": None,
        "EDGE_FILL": "thread",
    }
    return app, env
