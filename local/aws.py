"""The local AWS endpoint: moto's server app behind a WSGI middleware that does what moto's server
leaves out for browser uploads (S3 POST policy enforcement, S3 CORS on POST and on errors), plus
`create_resources`, which creates what template.yaml declares.

moto itself delivers S3 ObjectCreated notifications (Put, Post, Copy, multipart) to SQS and
redrives SQS messages to the dead-letter queue (both covered by tests/local), so neither is
reimplemented here; its S3 event lacks some fields of the real one, which `_complete_s3_events` adds.
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import io
import json
import logging
import re
import secrets
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from werkzeug.test import EnvironBuilder, run_wsgi_app

from . import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
from .s3post import PostForm, S3Error, check_post, object_key, parse_form, post_success
from .server import BackgroundServer
from .template import LocalTemplate

log = logging.getLogger("local.aws")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_BUCKET_POST = re.compile(r"^/([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])/?$")
_FIRST_SEGMENT = re.compile(r"^/([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:/|$)")


def moto_app() -> WSGIApp:
    from moto.server import DomainDispatcherApplication, create_backend_app

    from . import dynamo_fast

    _complete_s3_events()
    dynamo_fast.install()  # indexed queries, cheap transactions: a real collection stays fast

    class Dispatcher(DomainDispatcherApplication):
        """moto's dispatcher, remembering which backend serves a host: it matched every request's
        host against every service's URL patterns again (about 1 ms a request)."""

        @functools.lru_cache(maxsize=256)  # noqa: B019 - one dispatcher per server, hosts are few
        def get_backend_for_host(self, host: str | None) -> Any:
            return super().get_backend_for_host(host)

    return Dispatcher(create_backend_app)


def _complete_s3_events() -> None:
    """Give moto's S3 event records the fields real S3 sends and moto leaves out (userIdentity,
    requestParameters, responseElements, bucket.ownerIdentity, object.sequencer), so a strict
    parser (e.g. Powertools' S3Model) accepts them locally. The object key stays URL-encoded as moto and S3 do."""
    from moto.s3 import notifications

    original = notifications._get_s3_event
    if getattr(original, "_local_completed", False):
        return

    def complete(*args: Any, **kwargs: Any) -> dict[str, Any]:
        event = original(*args, **kwargs)
        for record in event.get("Records", []):
            record.setdefault("userIdentity", {"principalId": f"AWS:{ACCESS_KEY_ID}"})
            record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
            record.setdefault(
                "responseElements",
                {"x-amz-request-id": secrets.token_hex(8).upper(), "x-amz-id-2": secrets.token_urlsafe(48)},
            )
            record.get("s3", {}).get("bucket", {}).setdefault("ownerIdentity", {"principalId": "A3LOCALOWNER"})
            obj = record.get("s3", {}).get("object", {})
            obj.setdefault("sequencer", f"{time.time_ns():016X}")
        return event

    complete._local_completed = True  # type: ignore[attr-defined]
    notifications._get_s3_event = complete


class S3BrowserMiddleware:
    """Enforces POST policies on form uploads and answers S3 CORS for browser requests."""

    def __init__(self, app: WSGIApp, credentials: Mapping[str, str] | None = None) -> None:
        self.app = app
        self.credentials = dict(credentials or {ACCESS_KEY_ID: SECRET_ACCESS_KEY})

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
            expired = _presigned_expiry_error(environ.get("QUERY_STRING", ""))
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
        check_post(form, bucket, self.credentials)
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
        """A request to moto in-process, signed as the local account (moto checks no signature)."""
        request_headers = [
            ("Host", "s3.amazonaws.com"),
            (
                "Authorization",
                f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20200101/{REGION}/s3/aws4_request, "
                "SignedHeaders=host, Signature=0",
            ),
        ]
        builder = EnvironBuilder(path=path, query_string=query, method=method, headers=request_headers)
        app_iter, status, headers = run_wsgi_app(self.app, builder.get_environ())
        try:
            body = b"".join(app_iter)
        finally:
            getattr(app_iter, "close", lambda: None)()
        return status, body, headers

    # ------------------------------------------------------------ CORS (as S3 evaluates it)

    def _bucket_cors(self, bucket: str) -> list[dict[str, list[str]]] | None:
        """The bucket's CORS rules, read through moto's own API (None: no configuration)."""
        builder = EnvironBuilder(
            path=f"/{bucket}",
            query_string="cors",
            method="GET",
            headers=[
                ("Host", "s3.amazonaws.com"),
                (
                    "Authorization",
                    f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20200101/{REGION}/s3/aws4_request, "
                    "SignedHeaders=host, Signature=0",
                ),
            ],
        )
        app_iter, status, _ = run_wsgi_app(self.app, builder.get_environ())
        try:
            body = b"".join(app_iter)
        finally:
            getattr(app_iter, "close", lambda: None)()
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


def _presigned_expiry_error(query: str) -> S3Error | None:
    """S3 refuses a presigned request after its expiry (SigV4: X-Amz-Date + X-Amz-Expires; SigV2:
    Expires); moto does not check, so the local endpoint does, with S3's own error."""
    from datetime import UTC, datetime
    from urllib.parse import parse_qs

    params = {k: v[0] for k, v in parse_qs(query).items()}
    now = datetime.now(UTC)
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


def _quiet_handler() -> type:
    """moto's request handler, logging only failed requests (the pollers call SQS every second)."""
    from moto.server import MotoRequestHandler

    class QuietHandler(MotoRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if str(code).isdigit() and int(code) >= 400:
                # Presigned URLs carry their signature (and credential) in the query: never log it.
                path = getattr(self, "path", None)
                if path and "?" in path:
                    self.path = path.split("?", 1)[0] + "?[redacted]"
                try:
                    super().log_request(code, size)
                finally:
                    if path is not None:
                        self.path = path

    return QuietHandler


class SerialDynamoDB:
    """DynamoDB applies every request atomically (conditions and transactions included); moto's
    backend does not when requests arrive on concurrent threads, so a conditional write could race
    past its condition. The local endpoint therefore runs DynamoDB requests one at a time."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with self._lock:
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


class LocalAwsServer(BackgroundServer):
    """moto's server + S3BrowserMiddleware + SerialDynamoDB, threaded, in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 5070, credentials: Mapping[str, str] | None = None) -> None:
        if port == 5060:
            raise ValueError("port 5060 is refused by browsers (SIP); use another MOTO_PORT")
        app = S3BrowserMiddleware(SerialDynamoDB(moto_app()), credentials)
        super().__init__(app, host, port, name="local-aws", request_handler=_quiet_handler())


# ---------------------------------------------------------------- resources


def client(service: str, endpoint_url: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]  # the stubs type only literal service names
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=Config(retries={"max_attempts": 2}),
    )


def create_resources(
    endpoint_url: str, template: LocalTemplate | None = None, extra_cors_origins: Iterable[str] = ()
) -> LocalTemplate:
    """Create the bucket (+versioning, +CORS, +notifications), queues (+redrive) and table (+GSIs, TTL).

    Idempotent: running it again against the same endpoint changes nothing. `extra_cors_origins`
    are added to every bucket CORS rule (the local gateway's origins, so its page can upload).
    """
    if template is None:
        from . import REPO_ROOT
        from .template import load

        template = load(REPO_ROOT / "template.yaml", aws_url=endpoint_url)
    sqs, s3, ddb = (client(s, endpoint_url) for s in ("sqs", "s3", "dynamodb"))

    # Dead-letter queues first: a redrive policy names an existing queue's ARN.
    for spec in sorted(template.queues.values(), key=lambda q: q.dlq_id is not None):
        attributes = dict(spec.attributes)
        if spec.dlq_id:
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": template.queue_arn(spec.dlq_id), "maxReceiveCount": spec.max_receive_count}
            )
        try:
            sqs.create_queue(QueueName=spec.name, Attributes=attributes)
        except ClientError as exc:
            if "QueueAlreadyExists" not in str(exc) and "QueueNameExists" not in str(exc):
                raise
            url = sqs.get_queue_url(QueueName=spec.name)["QueueUrl"]
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)

    for bucket in template.buckets.values():
        try:
            s3.create_bucket(Bucket=bucket.name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        if bucket.versioned:  # deletes and overwrites keep noncurrent versions, as in AWS (no lifecycle expiry here)
            s3.put_bucket_versioning(Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"})
        if bucket.cors_rules:
            rules = [
                {**r, "AllowedOrigins": _unique([*r["AllowedOrigins"], *extra_cors_origins])} for r in bucket.cors_rules
            ]
            s3.put_bucket_cors(Bucket=bucket.name, CORSConfiguration={"CORSRules": rules})
        if bucket.notifications:
            wanted = {"QueueConfigurations": [_queue_notification(n, template) for n in bucket.notifications]}
            current = s3.get_bucket_notification_configuration(Bucket=bucket.name)
            # Only when it changed: S3 (and moto) send an s3:TestEvent to the queue on every put.
            if _comparable(current.get("QueueConfigurations")) != _comparable(wanted["QueueConfigurations"]):
                s3.put_bucket_notification_configuration(Bucket=bucket.name, NotificationConfiguration=wanted)

    for table in template.tables.values():
        kwargs: dict[str, Any] = {
            "TableName": table.name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": table.attribute_definitions,
            "KeySchema": table.key_schema,
        }
        if table.global_secondary_indexes:
            kwargs["GlobalSecondaryIndexes"] = [
                {k: v for k, v in g.items() if k in ("IndexName", "KeySchema", "Projection")}
                for g in table.global_secondary_indexes
            ]
        try:
            ddb.create_table(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":
                raise
        if table.ttl_attribute:
            ttl = ddb.describe_time_to_live(TableName=table.name)["TimeToLiveDescription"]
            if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                ddb.update_time_to_live(
                    TableName=table.name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
                )
    return template


def _queue_notification(n: Any, template: LocalTemplate) -> dict[str, Any]:
    conf: dict[str, Any] = {
        "Id": f"{n.queue_id or 'queue'}-notification",
        "QueueArn": template.queue_arn(n.queue_id) if n.queue_id else n.queue_arn,
        "Events": list(n.events),
    }
    rules = [{"Name": name, "Value": value} for name, value in (("prefix", n.prefix), ("suffix", n.suffix)) if value]
    if rules:
        conf["Filter"] = {"Key": {"FilterRules": rules}}
    return conf


def _comparable(confs: list[dict[str, Any]] | None) -> list[str]:
    out = []
    for c in confs or []:
        filter_rules = c.get("Filter", {}).get("Key", {}).get("FilterRules", [])
        rules = sorted((r["Name"].lower(), r["Value"]) for r in filter_rules)
        out.append(json.dumps([c["QueueArn"], sorted(c["Events"]), rules]))
    return sorted(out)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def main() -> None:
    """`python -m local.aws`: only the AWS endpoint (e.g. for `sam local start-api`)."""
    import os

    logging.basicConfig(level=logging.INFO)
    port = int(os.environ.get("MOTO_PORT", "5070"))
    server = LocalAwsServer(port=port)
    threading.Thread(target=create_resources, args=(server.url,), daemon=True).start()
    print(f"local AWS endpoint on {server.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
