"""CloudFront's check of a signed URL from a trusted key group, for the local CDN stand-in.

Both kinds of policy, as CloudFront documents them:

- canned (``Expires``, ``Signature``, ``Key-Pair-Id``): the signature is over the policy rebuilt
  from the URL as requested, without the signing parameters, and ``Expires``;
- custom (``Policy``, ``Signature``, ``Key-Pair-Id``): the signature is over the policy itself
  (base64 in the URL with CloudFront's ``-_~`` alphabet); its ``Resource`` must match the URL as
  requested without the signing parameters (``*`` any characters, ``?`` one; no Resource: every
  URL), ``DateLessThan`` is required, ``DateGreaterThan`` and ``IpAddress`` are honoured.

Anything else is a 403 with CloudFront's XML error body.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SIGNING_PARAMS = ("Expires", "Policy", "Signature", "Key-Pair-Id")


@dataclass(frozen=True)
class Denied:
    """Why CloudFront answers 403: its error code and message."""

    code: str
    message: str


def unb64(text: str) -> bytes:
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"), validate=True)


def resource_matches(resource: str, url: str) -> bool:
    """CloudFront's wildcards in a policy's Resource: ``*`` any run of characters, ``?`` one."""
    pattern = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in resource)
    return re.fullmatch(pattern, url, flags=re.DOTALL) is not None


def _canned_policy(resource: str, expires: int) -> bytes:
    statement = {"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}
    return json.dumps({"Statement": [statement]}, separators=(",", ":")).encode()


def _epoch(condition: dict[str, Any], name: str) -> int | None:
    value = (condition.get(name) or {}).get("AWS:EpochTime")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _custom_allows(policy: bytes, url: str, now: float, viewer_ip: str | None) -> bool:
    try:
        statements = json.loads(policy)["Statement"]
        statement = statements[0] if isinstance(statements, list) and len(statements) == 1 else None
        condition = statement.get("Condition") if isinstance(statement, dict) else None
    except (ValueError, KeyError, TypeError):
        return False
    if not isinstance(condition, dict):
        return False
    resource = statement.get("Resource") if isinstance(statement, dict) else None
    if resource is not None and (not isinstance(resource, str) or not resource_matches(resource, url)):
        return False
    until, since = _epoch(condition, "DateLessThan"), _epoch(condition, "DateGreaterThan")
    if until is None or now >= until or (since is not None and now <= since):
        return False
    source = (condition.get("IpAddress") or {}).get("AWS:SourceIp")
    if source is not None:
        try:
            return viewer_ip is not None and ipaddress.ip_address(viewer_ip) in ipaddress.ip_network(
                source, strict=False
            )
        except ValueError:
            return False
    return True


def check(
    resource_base: str,
    raw_query: str,
    trusted_keys: dict[str, rsa.RSAPublicKey],
    clock: Callable[[], float],
    viewer_ip: str | None = None,
) -> Denied | None:
    """None when the URL (``resource_base`` + ``?`` + ``raw_query``, as requested) carries a valid
    signature by a trusted key under a policy that allows it now."""
    pairs = [p.partition("=") for p in raw_query.split("&") if p]
    signing = {k: v for k, _, v in pairs if k in SIGNING_PARAMS}
    rest = "&".join(f"{k}={v}" if sep else k for k, sep, v in pairs if k not in SIGNING_PARAMS)
    url = f"{resource_base}?{rest}" if rest else resource_base
    if "Key-Pair-Id" not in signing:
        return Denied("MissingKey", "Missing Key-Pair-Id query parameter or cookie value")
    public_key = trusted_keys.get(unquote(signing["Key-Pair-Id"]))
    if public_key is None:
        return Denied("InvalidKey", "Unknown Key")
    if "Signature" not in signing or ("Policy" in signing) == ("Expires" in signing):
        return Denied("MalformedSignature", "Could not parse canned policy or signature")
    if "Expires" in signing:
        if not signing["Expires"].isdigit():
            return Denied("MalformedSignature", "Could not parse canned policy or signature")
        policy = _canned_policy(url, int(signing["Expires"]))
    else:
        try:
            policy = unb64(unquote(signing["Policy"]))
        except (binascii.Error, ValueError):
            return Denied("MalformedPolicy", "Malformed Policy")
    try:
        signature = unb64(unquote(signing["Signature"]))
        public_key.verify(signature, policy, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 - CloudFront signs with SHA-1
    except (InvalidSignature, binascii.Error, ValueError):
        return Denied("AccessDenied", "Access denied")
    if "Expires" in signing:
        return Denied("AccessDenied", "Access denied") if clock() >= int(signing["Expires"]) else None
    return None if _custom_allows(policy, url, clock(), viewer_ip) else Denied("AccessDenied", "Access denied")
