"""What S3 does for browsers and moto's server leaves out: POST policy enforcement on form
uploads (`s3post`), S3 CORS on POST and on errors, and the expiry of presigned GETs."""

from __future__ import annotations

import fnmatch
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.test import run_wsgi_app

from .. import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from .inprocess import WSGIApp, moto_request
from .s3post import PostForm, S3Error, check_post, object_key, parse_form, post_success

_BUCKET_POST = re.compile(r"^/([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])/?$")
_FIRST_SEGMENT = re.compile(r"^/([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:/|$)")


class EndpointClock:
    """The local S3's idea of now: real time plus an offset a test can move forward, so expiry
    (presigned URLs, POST policies) is checked on a settable clock instead of by waiting."""

    def __init__(self) -> None:
        self.offset_seconds = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset_seconds)

    def advance(self, seconds: float) -> None:
        self.offset_seconds += seconds


class S3BrowserMiddleware:
    """Enforces POST policies on form uploads and answers S3 CORS for browser requests."""

    def __init__(
        self, app: WSGIApp, credentials: Mapping[str, str] | None = None, clock: EndpointClock | None = None
    ) -> None:
        self.app = app
        self.credentials = dict(credentials or {ACCESS_KEY_ID: SECRET_ACCESS_KEY})
        self.clock = clock or EndpointClock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        origin = environ.get("HTTP_ORIGIN")
        bucket_match = _FIRST_SEGMENT.match(path)
        bucket = bucket_match.group(1) if bucket_match and "HTTP_X_AMZ_TARGET" not in environ else None

        if origin and bucket and environ["REQUEST_METHOD"] == "OPTIONS":
            return self._preflight(environ, start_response, bucket, origin)

        cors: list[tuple[str, str]] = []
        if origin and bucket:
            cors = self._cors_headers(bucket, origin, environ["REQUEST_METHOD"])

        if bucket and environ["REQUEST_METHOD"] in ("GET", "HEAD"):
            expired = _presigned_expiry_error(environ.get("QUERY_STRING", ""), self.clock.now())
            if expired is not None:
                return _respond(
                    start_response, expired.status, [("Content-Type", "application/xml"), *cors], expired.xml()
                )

        post = _BUCKET_POST.match(path)
        if (
            post
            and environ["REQUEST_METHOD"] == "POST"
            and not environ.get("QUERY_STRING")
            and environ.get("CONTENT_TYPE", "").lower().startswith("multipart/form-data")
        ):
            try:
                form = self._enforce_policy(environ, post.group(1))
            except S3Error as err:
                return _respond(start_response, err.status, [("Content-Type", "application/xml"), *cors], err.xml())
            return self._post_object(environ, start_response, post.group(1), form, cors)

        if not cors:
            return self.app(environ, start_response)

        def with_cors(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-") and k.lower() != "vary"]
            return start_response(status, kept + cors, exc_info)

        return self.app(environ, with_cors)

    # ------------------------------------------------------------ POST policy

    def _enforce_policy(self, environ: dict[str, Any], bucket: str) -> PostForm:
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            raise S3Error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.") from None
        body = environ["wsgi.input"].read(length)
        # moto parses the form again: hand it the same bytes.
        environ["wsgi.input"] = io.BytesIO(body)
        form = parse_form(body, environ["CONTENT_TYPE"])
        check_post(form, bucket, self.credentials, now=self.clock.now())
        return form

    def _post_object(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        bucket: str,
        form: PostForm,
        cors: list[tuple[str, str]],
    ) -> Iterable[bytes]:
        """moto stores the object; the answer is S3's (ETag, Location, the 201 XML), which moto's is not."""
        app_iter, status, headers = run_wsgi_app(self.app, environ)
        try:
            body = b"".join(app_iter)
        finally:
            getattr(app_iter, "close", lambda: None)()
        code = int(status.split(" ", 1)[0])
        if code >= 400:  # moto echoes some success_action_status values (302...): only errors pass through
            dropped = ("content-length", "vary")
            kept = [
                (k, v) for k, v in headers if k.lower() not in dropped and not k.lower().startswith("access-control-")
            ]
            return _respond(start_response, code, kept + cors, body)
        key = object_key(form)
        from urllib.parse import quote

        # Path-style, like every URL of the local endpoint; S3 encodes the key's slashes too.
        location = (
            f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST')}/{bucket}/{quote(key, safe='')}"
        )
        code, answer, body = post_success(form, bucket, key, self._etag(bucket, key), location)
        return _respond(start_response, code, answer + cors, body)

    def _etag(self, bucket: str, key: str) -> str:
        from urllib.parse import quote

        _, _, headers = self._moto_request("HEAD", f"/{bucket}/{quote(key)}")
        return headers.get("ETag", '""')

    def _moto_request(self, method: str, path: str, query: str = "") -> tuple[str, bytes, Any]:
        return moto_request(self.app, method, path, service="s3", query=query, headers=[("Host", "s3.amazonaws.com")])

    # ------------------------------------------------------------ CORS (as S3 evaluates it)

    def _bucket_cors(self, bucket: str) -> list[dict[str, list[str]]] | None:
        """The bucket's CORS rules, read through moto's own API (None: no configuration)."""
        status, body, _ = self._moto_request("GET", f"/{bucket}", query="cors")
        if not status.startswith("200"):
            return None
        rules = []
        for rule in ET.fromstring(body).iter():  # noqa: S314 - moto's own reply, in-process
            if rule.tag.split("}")[-1] != "CORSRule":
                continue
            parsed: dict[str, list[str]] = {}
            for child in rule:
                parsed.setdefault(child.tag.split("}")[-1], []).append((child.text or "").strip())
            rules.append(parsed)
        return rules

    def _match_rule(
        self, rules: list[dict[str, list[str]]], origin: str, method: str, request_headers: list[str]
    ) -> dict[str, list[str]] | None:
        for rule in rules:
            if not any(fnmatch.fnmatchcase(origin, o) for o in rule.get("AllowedOrigin", [])):
                continue
            if method not in rule.get("AllowedMethod", []):
                continue
            allowed = [h.lower() for h in rule.get("AllowedHeader", [])]
            if all(any(fnmatch.fnmatchcase(h, a) for a in allowed) for h in request_headers):
                return rule
        return None

    @staticmethod
    def _rule_headers(
        rule: dict[str, list[str]], origin: str, method: str, request_headers: list[str]
    ) -> list[tuple[str, str]]:
        wildcard = "*" in rule.get("AllowedOrigin", [])
        headers = [
            ("Access-Control-Allow-Origin", "*" if wildcard else origin),
            ("Access-Control-Allow-Methods", ", ".join(rule.get("AllowedMethod", [method]))),
            ("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"),
        ]
        if not wildcard:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        if request_headers:
            headers.append(("Access-Control-Allow-Headers", ", ".join(request_headers)))
        if rule.get("ExposeHeader"):
            headers.append(("Access-Control-Expose-Headers", ", ".join(rule["ExposeHeader"])))
        if rule.get("MaxAgeSeconds"):
            headers.append(("Access-Control-Max-Age", rule["MaxAgeSeconds"][0]))
        return headers

    def _cors_headers(self, bucket: str, origin: str, method: str) -> list[tuple[str, str]]:
        rules = self._bucket_cors(bucket)
        rule = self._match_rule(rules or [], origin, method, [])
        return self._rule_headers(rule, origin, method, []) if rule else []

    def _preflight(
        self, environ: dict[str, Any], start_response: Callable[..., Any], bucket: str, origin: str
    ) -> Iterable[bytes]:
        method = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "")
        requested = [
            h.strip().lower() for h in environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "").split(",") if h.strip()
        ]
        rules = self._bucket_cors(bucket)
        if rules is None:
            err = S3Error(
                403,
                "AccessForbidden",
                "CORSResponse: CORS is not enabled for this bucket.",
                {"Method": method, "ResourceType": "BUCKET"},
            )
            return _respond(start_response, 403, [("Content-Type", "application/xml")], err.xml())
        rule = self._match_rule(rules, origin, method, requested)
        if rule is None:
            err = S3Error(
                403,
                "AccessForbidden",
                "CORSResponse: This CORS request is not allowed. This is usually because the evalution "
                "of Origin, request method / Access-Control-Request-Method or Access-Control-Request-"
                "Headers are not whitelisted by the resource's CORS spec.",
                {"Method": method, "ResourceType": "BUCKET"},
            )
            return _respond(start_response, 403, [("Content-Type", "application/xml")], err.xml())
        return _respond(start_response, 200, self._rule_headers(rule, origin, method, requested), b"")


def _presigned_expiry_error(query: str, now: datetime) -> S3Error | None:
    """S3 refuses a presigned request after its expiry (SigV4: X-Amz-Date + X-Amz-Expires; SigV2:
    Expires); moto does not check, so the local endpoint does, with S3's own error."""
    from urllib.parse import parse_qs

    params = {k: v[0] for k, v in parse_qs(query).items()}
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    if "Signature" in params and "Expires" in params:  # SigV2 query auth: Expires is an epoch
        try:
            deadline = datetime.fromtimestamp(int(params["Expires"]), UTC)
        except (ValueError, OverflowError, OSError):
            return S3Error(403, "AccessDenied", "Invalid date (should be seconds since epoch)")
        if now > deadline:
            extra = {"Expires": deadline.strftime(stamp), "ServerTime": now.strftime(stamp)}
            return S3Error(403, "AccessDenied", "Request has expired", extra)
        return None
    if "X-Amz-Signature" not in params:
        return None
    try:
        signed = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        expires = int(params["X-Amz-Expires"])
    except (KeyError, ValueError):
        return S3Error(403, "AuthorizationQueryParametersError", "X-Amz-Date and X-Amz-Expires are required.")
    if expires < 1 or expires > 604_800:
        return S3Error(403, "AuthorizationQueryParametersError", "X-Amz-Expires must be between 1 and 604800.")
    if (now - signed).total_seconds() > expires:
        return S3Error(
            403,
            "AccessDenied",
            "Request has expired",
            {
                "X-Amz-Expires": str(expires),
                "Expires": datetime.fromtimestamp(signed.timestamp() + expires, UTC).strftime(stamp),
                "ServerTime": now.strftime(stamp),
            },
        )
    return None


def _respond(
    start_response: Callable[..., Any], status: int, headers: list[tuple[str, str]], body: bytes
) -> list[bytes]:
    from http import HTTPStatus

    start_response(f"{status} {HTTPStatus(status).phrase}", [*headers, ("Content-Length", str(len(body)))])
    return [body]
