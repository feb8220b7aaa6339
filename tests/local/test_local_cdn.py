"""The local stand-in for the renditions CDN (local/edge/cdn.py), in a local stack built from the real
template.yaml: URLs signed by imageapi.adapters.signing with the key the stack stored in its Secrets
Manager (the path the functions take) are served from the local S3 endpoint; anything else gets
CloudFront's answers."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from imageapi.adapters.signing import DeliverySettings, signer_from_environment
from imageapi.domain.delivery import RenditionSigner
from local.aws import client
from local.edge import cdn
from local.stack import LocalStack

REPO_ROOT = Path(__file__).resolve().parents[2]
KEY = "renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV/thumbnail"
BODY = b"RIFF\x00\x00\x00\x00WEBPVP8 thumbnail"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with LocalStack(
        root=REPO_ROOT, state_dir=tmp_path_factory.mktemp("cdn-state"), name_prefix="cdn-test", pollers=False
    ) as running:
        s3 = client("s3", running.aws_url)
        s3.put_object(Bucket="cdn-test", Key=KEY, Body=BODY, ContentType="image/webp")
        s3.put_object(Bucket="cdn-test", Key="originals/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV", Body=b"original")
        yield running


@pytest.fixture(scope="module")
def signer(stack: LocalStack) -> RenditionSigner:
    # The stack applied the functions' environment to this process: this is the functions' signer.
    return signer_from_environment()


def test_the_stack_points_the_functions_at_the_stand_in(stack: LocalStack) -> None:
    env = stack.environment
    assert env["DELIVERY_MODE"] == "cdn"
    assert env["CDN_BASE_URL"] == f"{stack.api_url}/_cdn" == stack.cdn_url
    assert env["CDN_KEY_PAIR_ID"] and env["CDN_KEY_PAIR_ID"].startswith("K")
    secret = client("secretsmanager", stack.aws_url).get_secret_value(SecretId=env["CDN_PRIVATE_KEY_SECRET"])
    assert "BEGIN PRIVATE KEY" in secret["SecretString"]
    assert os.environ["CDN_KEY_PAIR_ID"] == env["CDN_KEY_PAIR_ID"]


def test_a_signed_url_serves_the_rendition_with_cache_headers(stack: LocalStack, signer: RenditionSigner) -> None:
    signed = signer.sign(KEY, version="1")
    assert signed.url.startswith(f"{stack.api_url}/_cdn/{KEY}?v=1&Expires=")
    response = requests.get(signed.url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.content == BODY
    assert response.headers["Content-Type"] == "image/webp"
    assert response.headers["Cache-Control"] == "private, max-age=3600, immutable"
    assert response.headers["ETag"].startswith('"')
    assert signer.sign(KEY, version="1").url == signed.url  # the same URL within the window


def test_revalidation_answers_304_with_the_etag(signer: RenditionSigner) -> None:
    url = signer.sign(KEY).url
    etag = requests.get(url, timeout=10).headers["ETag"]
    again = requests.get(url, headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    stale = requests.get(url, headers={"If-None-Match": '"not-the-etag"'}, timeout=10)
    assert stale.status_code == 200 and stale.content == BODY


def test_head_answers_the_headers_only(signer: RenditionSigner) -> None:
    response = requests.head(signer.sign(KEY).url, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(BODY))


def _cloudfront_error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("text/xml")
    assert f"<Code>{code}</Code>" in response.text


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (lambda url: url.replace("thumbnail", "display"), "AccessDenied"),  # another object
        (lambda url: url.replace("?v=1&", "?v=2&"), "AccessDenied"),  # another version
        (lambda url: url.replace("Expires=", "Expires=9"), "AccessDenied"),  # a later expiry
        (lambda url: url.replace("Signature=", "Signature=AAAA"), "AccessDenied"),
        (lambda url: url.split("&Key-Pair-Id=")[0], "MissingKey"),
        (lambda url: url.split("?")[0], "MissingKey"),
        (lambda url: url.replace("Key-Pair-Id=", "Key-Pair-Id=KUNKNOWN"), "InvalidKey"),
        (lambda url: url.replace("Signature=", "Sig="), "MalformedSignature"),
    ],
)
def test_a_tampered_url_is_refused_like_cloudfront_does(signer: RenditionSigner, tamper: Any, code: str) -> None:
    _cloudfront_error(requests.get(tamper(signer.sign(KEY, version="1").url), timeout=10), 403, code)


def test_an_expired_url_is_refused(signer: RenditionSigner) -> None:
    ttl, window = DeliverySettings().delivery_url_ttl_seconds, DeliverySettings().delivery_url_window_seconds
    expired = signer.sign(KEY, now=time.time() - ttl - window - 1)
    _cloudfront_error(requests.get(expired.url, timeout=10), 403, "AccessDenied")


def test_a_url_signed_by_another_key_is_refused(stack: LocalStack, tmp_path: Path) -> None:
    from imageapi.adapters.signing import CloudFrontRenditionSigner

    other = cdn.private_pem(cdn.load_key(tmp_path))
    forged = CloudFrontRenditionSigner(stack.cdn_url or "", stack.environment["CDN_KEY_PAIR_ID"] or "", other)
    _cloudfront_error(requests.get(forged.sign(KEY).url, timeout=10), 403, "AccessDenied")


def test_only_renditions_are_served(stack: LocalStack, signer: RenditionSigner) -> None:
    original = signer.sign("originals/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV").url
    assert requests.get(original, timeout=10).status_code == 404
    assert requests.get(f"{stack.api_url}/_cdn/incoming/x", timeout=10).status_code == 404
    assert requests.get(f"{stack.api_url}/_cdn/renditions/../originals/x", timeout=10).status_code in (403, 404)


def test_a_missing_rendition_is_403_as_behind_origin_access_control(signer: RenditionSigner) -> None:
    _cloudfront_error(requests.get(signer.sign("renditions/none/none/thumbnail").url, timeout=10), 403, "AccessDenied")


def test_only_get_and_head(signer: RenditionSigner) -> None:
    _cloudfront_error(requests.post(signer.sign(KEY).url, timeout=10), 403, "MethodNotAllowed")


def test_signed_queries_never_reach_the_request_log(signer: RenditionSigner, caplog: pytest.LogCaptureFixture) -> None:
    signed = signer.sign(KEY, version="log")
    signature = dict(p.split("=", 1) for p in signed.url.split("?", 1)[1].split("&"))["Signature"]
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        assert requests.get(signed.url, timeout=10).status_code == 200
        assert requests.get(signed.url.replace("Signature=", "Signature=x"), timeout=10).status_code == 403
        deadline = time.monotonic() + 5
        while caplog.text.count("/_cdn/") < 2 and time.monotonic() < deadline:  # logged after the answer
            time.sleep(0.05)
    assert caplog.text.count(f"/_cdn/{KEY}?[redacted]") == 2, caplog.text
    assert signature not in caplog.text and "Key-Pair-Id" not in caplog.text


def test_the_api_is_still_served_next_to_the_stand_in(stack: LocalStack) -> None:
    assert requests.get(f"{stack.api_url}/health", timeout=10).json()["status"] == "ok"


def test_the_key_pair_persists_in_the_state_dir(stack: LocalStack) -> None:
    key = cdn.load_key(stack.state_dir)
    assert cdn.key_pair_id(key.public_key()) == stack.environment["CDN_KEY_PAIR_ID"]
    assert (stack.state_dir / cdn.KEY_FILE).stat().st_mode & 0o077 == 0


def test_s3_mode_has_no_stand_in_and_presigns_against_the_local_endpoint(
    stack: LocalStack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """DeliveryMode=s3 (a second stack, after the module's one; they share os.environ, so the
    module's stack's environment is restored afterwards)."""
    with LocalStack(
        root=REPO_ROOT,
        state_dir=tmp_path_factory.mktemp("s3-state"),
        name_prefix="cdn-test-s3",
        pollers=False,
        parameter_overrides={"DeliveryMode": "s3"},
    ) as s3_stack:
        assert s3_stack.cdn_url is None
        assert requests.get(f"{s3_stack.api_url}/_cdn/{KEY}", timeout=10).status_code == 404
        client("s3", s3_stack.aws_url).put_object(Bucket="cdn-test-s3", Key=KEY, Body=BODY, ContentType="image/webp")
        signed = signer_from_environment().sign(KEY)
        assert signed.url.startswith(f"{s3_stack.aws_url}/cdn-test-s3/{KEY}?")
        response = requests.get(signed.url, timeout=10)
        assert response.status_code == 200 and response.content == BODY
    assert os.environ["DELIVERY_MODE"] == "cdn"


# ---------------------------------------------------------------- custom policies (local/edge/signatures.py)


def _custom(resource: str | None, key: Any, **condition: Any) -> str:
    """A custom-policy query string as botocore's CloudFrontSigner makes it."""
    from botocore.signers import CloudFrontSigner
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    statement: dict[str, Any] = {"Condition": {"DateLessThan": {"AWS:EpochTime": 2_000_000_000}, **condition}}
    if resource is not None:
        statement["Resource"] = resource
    policy = json.dumps({"Statement": [statement]}, separators=(",", ":"))
    signer = CloudFrontSigner("KTEST", lambda m: key.sign(m, padding.PKCS1v15(), hashes.SHA1()))
    return signer.generate_presigned_url("https://x", policy=policy).split("?", 1)[1]


PREFIX_URL = "http://127.0.0.1:1/_cdn/renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV"


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        (f"{PREFIX_URL}/edge/640?v=1", True),
        (f"{PREFIX_URL}/thumbnail", True),
        (f"{PREFIX_URL}0/edge/640?v=1", False),  # an id that merely starts with this one
        ("http://127.0.0.1:1/_cdn/renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAW/edge/640?v=1", False),
        ("http://127.0.0.1:1/_cdn/originals/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV", False),
    ],
)
def test_a_custom_policy_covers_its_prefix_and_nothing_else(tmp_path: Path, url: str, allowed: bool) -> None:
    from local.edge import signatures

    key = cdn.load_key(tmp_path)
    query = _custom(PREFIX_URL + "/*", key)
    base, _, rest = url.partition("?")
    denied = signatures.check(
        base, "&".join(p for p in (rest, query) if p), {"KTEST": key.public_key()}, lambda: 1_900_000_000
    )
    assert (denied is None) is allowed, denied


def test_custom_policy_conditions_are_honoured(tmp_path: Path) -> None:
    from local.edge import signatures

    key = cdn.load_key(tmp_path)
    keys = {"KTEST": key.public_key()}
    url = f"{PREFIX_URL}/edge/640"

    def check(query: str, now: float = 1_900_000_000, ip: str | None = "203.0.113.9") -> str | None:
        denied = signatures.check(url, query, keys, lambda: now, ip)
        return denied.code if denied else None

    assert check(_custom(None, key)) is None  # no Resource: every URL of the key group
    assert check(_custom(url, key), now=2_000_000_000) == "AccessDenied"  # DateLessThan reached
    assert check(_custom(url, key, DateGreaterThan={"AWS:EpochTime": 1_950_000_000})) == "AccessDenied"
    assert check(_custom(url, key, IpAddress={"AWS:SourceIp": "203.0.113.0/24"})) is None
    assert check(_custom(url, key, IpAddress={"AWS:SourceIp": "198.51.100.0/24"})) == "AccessDenied"
    good = _custom(url, key)
    assert check(good.replace("Policy=", "Policy=x")) in ("AccessDenied", "MalformedPolicy")
    assert check(good + "&Expires=1") == "MalformedSignature"  # a policy and an expiry: neither kind
    forged = _custom(url, cdn.load_key(tmp_path / "other"))
    assert check(forged) == "AccessDenied"
