"""S3 browser-based uploads (POST Object) checked the way S3 checks them.

moto's server stores whatever a form POST sends; S3 verifies the SigV4 signature over the policy,
its expiry, every condition, extra form fields and the content-length-range. This module does
those checks on a fully read request and answers S3's own status codes and XML errors.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

# Form fields that never need a policy condition (S3 docs, "Creating a POST policy").
_EXEMPT_FIELDS = {"x-amz-signature", "file", "policy", "awsaccesskeyid", "signature"}


@dataclass
class S3Error(Exception):
    status: int
    code: str
    message: str
    extra: dict[str, str] | None = None

    def xml(self) -> bytes:
        parts = [f"<Code>{self.code}</Code>", f"<Message>{escape(self.message)}</Message>"]
        for name, value in (self.extra or {}).items():
            parts.append(f"<{name}>{escape(value)}</{name}>")
        parts.append(f"<RequestId>{secrets.token_hex(8).upper()}</RequestId>")
        parts.append(f"<HostId>{base64.b64encode(secrets.token_bytes(48)).decode()}</HostId>")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>' + "".join(parts) + "</Error>").encode()


@dataclass
class PostForm:
    fields: dict[str, str]  # lower-cased names, in form order, only those before the file
    field_names: dict[str, str]  # lower-cased -> name as sent
    file_size: int
    file_name: str | None


def parse_form(body: bytes, content_type: str) -> PostForm:
    """Fields before the `file` part and the file's size; S3 ignores anything after the file."""
    _, options = parse_options_header(content_type)
    boundary = options.get("boundary")
    if not boundary:
        raise S3Error(
            400, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data."
        )
    decoder = MultipartDecoder(boundary.encode("latin-1"), max_form_memory_size=None)
    decoder.receive_data(body)
    decoder.receive_data(None)

    fields: dict[str, str] = {}
    names: dict[str, str] = {}
    current: str | None = None
    buffer = bytearray()
    file_size: int | None = None
    file_name: str | None = None
    in_file = False
    try:
        while True:
            event = decoder.next_event()
            if isinstance(event, (Epilogue, NeedData)):
                break
            if isinstance(event, Field) and file_size is None:
                current, buffer = event.name, bytearray()
            elif isinstance(event, File) and file_size is None:
                current, in_file, file_name = None, event.name == "file", event.filename
                file_size = 0 if in_file else None
            elif isinstance(event, Data):
                if in_file and file_size is not None:
                    file_size += len(event.data)
                    if not event.more_data:
                        in_file = False
                elif current is not None:
                    buffer += event.data
                    if not event.more_data:
                        fields[current.lower()] = buffer.decode("utf-8", errors="replace")
                        names[current.lower()] = current
                        current = None
    except ValueError as exc:  # werkzeug raises ValueError on a malformed body
        raise S3Error(
            400, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data."
        ) from exc
    if file_size is None:
        raise S3Error(
            400,
            "InvalidArgument",
            "POST requires exactly one file upload per request.",
            {"ArgumentName": "file", "ArgumentValue": "0"},
        )
    return PostForm(fields=fields, field_names=names, file_size=file_size, file_name=file_name)


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    key = hmac.new(f"AWS4{secret_key}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _missing(name: str) -> S3Error:
    return S3Error(
        400,
        "InvalidArgument",
        f"Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields.",
        {"ArgumentName": name, "ArgumentValue": ""},
    )


def _signature_mismatch(access_key: str, policy_b64: str, provided: str) -> S3Error:
    return S3Error(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        {
            "AWSAccessKeyId": access_key,
            "StringToSign": policy_b64,
            "SignatureProvided": provided,
            "StringToSignBytes": " ".join(f"{b:02x}" for b in policy_b64.encode()),
        },
    )


def _secret_for(access_key: str, credentials: Mapping[str, str]) -> str:
    secret = credentials.get(access_key)
    if secret is None:
        raise S3Error(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            {"AWSAccessKeyId": access_key},
        )
    return secret


def _check_sigv4(f: dict[str, str], credentials: Mapping[str, str]) -> None:
    """x-amz-signature = hex HMAC-SHA256 of the base64 policy under the SigV4 signing key."""
    for name in ("x-amz-algorithm", "x-amz-credential", "x-amz-signature"):
        if name not in f:
            raise _missing(name)
    if f["x-amz-algorithm"] != "AWS4-HMAC-SHA256":
        raise S3Error(
            400,
            "InvalidArgument",
            "Unsupported algorithm",
            {"ArgumentName": "x-amz-algorithm", "ArgumentValue": f["x-amz-algorithm"]},
        )
    scope = f["x-amz-credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise S3Error(
            400,
            "AuthorizationQueryParametersError",
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
            'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
        )
    access_key, date, region, service, _ = scope
    key = signing_key(_secret_for(access_key, credentials), date, region, service)
    expected = hmac.new(key, f["policy"].encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, f["x-amz-signature"].strip().lower()):
        raise _signature_mismatch(access_key, f["policy"], f["x-amz-signature"])


def _check_sigv2(f: dict[str, str], credentials: Mapping[str, str]) -> None:
    """signature = base64 HMAC-SHA1 of the base64 policy (what botocore presigns by default)."""
    if "signature" not in f:
        raise _missing("signature")
    access_key = f["awsaccesskeyid"]
    secret = _secret_for(access_key, credentials)
    expected = base64.b64encode(hmac.new(secret.encode(), f["policy"].encode(), hashlib.sha1).digest()).decode()
    if not hmac.compare_digest(expected.encode(), f["signature"].strip().encode()):
        raise _signature_mismatch(access_key, f["policy"], f["signature"])


def _condition_failed(cond: list[Any]) -> S3Error:
    return S3Error(403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {json.dumps(cond)}")


def check_post(form: PostForm, bucket: str, credentials: Mapping[str, str], now: datetime | None = None) -> None:
    """Raise S3Error unless S3 would accept this form for `bucket`."""
    f = form.fields
    if "key" not in f:
        raise _missing("key")
    if "policy" not in f:
        # An unsigned form is an anonymous write; the bucket blocks public access.
        raise S3Error(403, "AccessDenied", "Access Denied")
    if "x-amz-signature" in f or "awsaccesskeyid" not in f:
        _check_sigv4(f, credentials)
    else:
        _check_sigv2(f, credentials)

    try:
        policy = json.loads(base64.b64decode(f["policy"], validate=False))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from exc
    if not isinstance(policy, dict) or "expiration" not in policy:
        raise S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Policy missing expiration.")
    try:
        expires = datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
    except ValueError as exc:
        raise S3Error(
            400, "InvalidPolicyDocument", f"Invalid Policy: Invalid 'expiration' value: '{policy['expiration']}'"
        ) from exc
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if (now or datetime.now(UTC)) >= expires:
        raise S3Error(403, "AccessDenied", "Invalid according to Policy: Policy expired.")

    covered: set[str] = set()
    length_range: tuple[int, int] | None = None
    for cond in policy.get("conditions") or []:
        if isinstance(cond, dict):
            for name, value in cond.items():
                covered.add(name.lower())
                _check(["eq", f"${name}", value], name, "eq", str(value), f, bucket)
            continue
        if not isinstance(cond, list) or not cond:
            raise S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid Condition.")
        op = str(cond[0]).lower()
        if op == "content-length-range" and len(cond) == 3:
            length_range = (int(cond[1]), int(cond[2]))
        elif op in ("eq", "starts-with") and len(cond) == 3 and str(cond[1]).startswith("$"):
            name = str(cond[1])[1:]
            covered.add(name.lower())
            _check(cond, name, op, str(cond[2]), f, bucket)
        else:
            raise S3Error(400, "InvalidPolicyDocument", f"Invalid Policy: Invalid Condition: {json.dumps(cond)}")

    extra = [
        form.field_names[n] for n in f if n not in covered and n not in _EXEMPT_FIELDS and not n.startswith("x-ignore-")
    ]
    if extra:
        raise S3Error(403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {', '.join(extra)}")

    if length_range is not None:
        low, high = length_range
        if form.file_size > high:
            raise S3Error(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
                {"ProposedSize": str(form.file_size), "MaxSizeAllowed": str(high)},
            )
        if form.file_size < low:
            raise S3Error(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
                {"ProposedSize": str(form.file_size), "MinSizeAllowed": str(low)},
            )


def _check(cond: list[Any], name: str, op: str, expected: str, fields: dict[str, str], bucket: str) -> None:
    actual = bucket if name.lower() == "bucket" else fields.get(name.lower())
    if actual is None:
        raise _condition_failed(cond)
    if op == "eq":
        ok = actual == expected
    elif name.lower() == "content-type":
        # A Content-Type starts-with applies to each of a comma-separated list of types.
        ok = all(part.strip().startswith(expected) for part in actual.split(","))
    else:
        ok = actual.startswith(expected)
    if not ok:
        raise _condition_failed(cond)


# ---------------------------------------------------------------- S3's answer to an accepted POST


def object_key(form: PostForm) -> str:
    """The key the object is stored under: S3 replaces `${filename}` with the uploaded file's name."""
    return form.fields["key"].replace("${filename}", form.file_name or "")


def post_success(
    form: PostForm, bucket: str, key: str, etag: str, location: str
) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) S3 answers a successful POST Object with: `ETag` and `Location`
    always (browser uploaders read them); 303 to `success_action_redirect` (or the older
    `redirect`) with bucket, key and etag; else `success_action_status` 200 or 201 (with the
    PostResponse XML), and 204 for anything else or nothing."""
    from urllib.parse import urlencode

    headers = [
        ("ETag", etag),
        ("x-amz-request-id", secrets.token_hex(8).upper()),
        ("x-amz-id-2", base64.b64encode(secrets.token_bytes(48)).decode()),
        ("Server", "AmazonS3"),
    ]
    redirect = form.fields.get("success_action_redirect") or form.fields.get("redirect")
    if redirect:
        separator = "&" if "?" in redirect else "?"
        target = f"{redirect}{separator}{urlencode({'bucket': bucket, 'key': key, 'etag': etag})}"
        return 303, [("Location", target), *headers], b""
    headers.append(("Location", location))
    status = form.fields.get("success_action_status", "").strip()
    if status == "201":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>'
            f"<Location>{escape(location)}</Location><Bucket>{escape(bucket)}</Bucket>"
            f"<Key>{escape(key)}</Key><ETag>{escape(etag)}</ETag></PostResponse>"
        ).encode()
        return 201, [*headers, ("Content-Type", "application/xml")], body
    return (200 if status == "200" else 204), headers, b""
