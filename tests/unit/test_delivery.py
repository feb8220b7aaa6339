"""Signed rendition URLs (imageapi.adapters.signing): stable within a window, bounded expiry, CloudFront
signatures that verify with the public key, S3 presigned URLs that the local S3 endpoint serves."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import boto3
import pytest
import requests
from botocore.credentials import ReadOnlyCredentials
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pydantic import ValidationError

from imageapi.adapters.signing import (
    CloudFrontRenditionSigner,
    DeliverySettings,
    S3RenditionSigner,
    secret_key_loader,
    signer_from_settings,
)
from imageapi.domain.delivery import Window

KEY = "renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV/thumbnail"
BASE = "https://d111111abcdef8.cloudfront.net"
TTL, WINDOW = 3600, 900
T0 = 1_800_000_000  # a multiple of 900: the start of a window


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def pem(private_key: rsa.RSAPrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture
def cdn(pem: bytes) -> CloudFrontRenditionSigner:
    return CloudFrontRenditionSigner(BASE, "K2JCJMDEHXQW5F", pem, ttl_seconds=TTL, window_seconds=WINDOW)


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"))


def verify_cloudfront(url: str, public_key: rsa.RSAPublicKey) -> int:
    """What CloudFront does with a canned-policy URL: rebuild the policy from the URL without the
    signing parameters and check the signature. Returns Expires."""
    base, _, query = url.partition("?")
    # The raw (still percent-encoded) parameters: CloudFront signs the URL as sent.
    params = [tuple(p.partition("=")[::2]) for p in query.split("&") if p]
    signing = {k: v for k, v in params if k in ("Expires", "Signature", "Key-Pair-Id")}
    rest = "&".join(f"{k}={v}" for k, v in params if k not in signing)
    resource = f"{base}?{rest}" if rest else base
    expires = int(signing["Expires"])
    policy = json.dumps(
        {"Statement": [{"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}]},
        separators=(",", ":"),
    )
    public_key.verify(_unb64(signing["Signature"]), policy.encode(), padding.PKCS1v15(), hashes.SHA1())
    return expires


# ---------------------------------------------------------------- windows


@pytest.mark.parametrize("offset", [0, 1, 450, 899.999])
def test_window_bounds_the_lifetime_between_ttl_and_ttl_plus_window(offset: float) -> None:
    now = T0 + offset
    window = Window.at(now, TTL, WINDOW)
    assert window.start == T0
    assert TTL <= window.expires - now <= TTL + WINDOW


@pytest.mark.parametrize(("ttl", "window"), [(30, 30), (3600, 7200), (7 * 3600, 900), (3600, 10)])
def test_timing_outside_the_documented_bounds_is_refused(pem: bytes, ttl: int, window: int) -> None:
    with pytest.raises(ValueError, match="seconds"):
        CloudFrontRenditionSigner(BASE, "K1", pem, ttl_seconds=ttl, window_seconds=window)


# ---------------------------------------------------------------- CloudFront


def test_cloudfront_urls_are_identical_within_a_window(cdn: CloudFrontRenditionSigner) -> None:
    first = cdn.sign(KEY, now=T0 + 1)
    again = cdn.sign(KEY, now=T0 + 899)
    assert first == again
    assert first.url.startswith(f"{BASE}/{KEY}?Expires=")
    assert first.expires_at == datetime.fromtimestamp(T0 + WINDOW + TTL, UTC)


def test_cloudfront_urls_change_from_one_window_to_the_next(cdn: CloudFrontRenditionSigner) -> None:
    assert cdn.sign(KEY, now=T0 + 899).url != cdn.sign(KEY, now=T0 + 900).url
    assert cdn.sign(KEY, now=T0 + 900).expires_at.timestamp() == T0 + 2 * WINDOW + TTL


def test_cloudfront_signature_verifies_with_the_public_key(
    cdn: CloudFrontRenditionSigner, private_key: rsa.RSAPrivateKey
) -> None:
    signed = cdn.sign(KEY, version="2026-12-01T00:00:00Z", now=T0 + 5)
    query = dict(parse_qsl(urlsplit(signed.url).query))
    assert query["Key-Pair-Id"] == "K2JCJMDEHXQW5F"
    assert query["v"] == "2026-12-01T00:00:00Z"
    assert verify_cloudfront(signed.url, private_key.public_key()) == int(signed.expires_at.timestamp())


@pytest.mark.parametrize(
    "tamper",
    [
        lambda url: url.replace("thumbnail", "display"),  # another object
        lambda url: url.replace("Expires=", "Expires=1"),  # a later expiry
        lambda url: url.replace("v=1", "v=2"),  # another version
    ],
)
def test_a_tampered_cloudfront_url_does_not_verify(
    cdn: CloudFrontRenditionSigner, private_key: rsa.RSAPrivateKey, tamper: Any
) -> None:
    signed = cdn.sign(KEY, version="1", now=T0)
    with pytest.raises(InvalidSignature):
        verify_cloudfront(tamper(signed.url), private_key.public_key())


def test_a_url_signed_by_another_key_does_not_verify(cdn: CloudFrontRenditionSigner) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(InvalidSignature):
        verify_cloudfront(cdn.sign(KEY, now=T0).url, other.public_key())


def test_keys_with_unsafe_characters_are_percent_encoded(cdn: CloudFrontRenditionSigner) -> None:
    url = cdn.sign("renditions/a b/ü?x", now=T0).url
    assert url.startswith(f"{BASE}/renditions/a%20b/%C3%BC%3Fx?Expires=")


def test_a_key_that_is_not_rsa_is_refused(pem: bytes) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = CloudFrontRenditionSigner(BASE, "K1", ec_pem)
    with pytest.raises(ValueError, match="RSA"):
        signer.sign(KEY)


@pytest.fixture
def secrets_client(moto_endpoint: str) -> Iterator[Any]:
    client = boto3.client("secretsmanager", endpoint_url=moto_endpoint)
    calls: list[str] = []
    client.meta.events.register("before-call.secrets-manager.GetSecretValue", lambda **_: calls.append("get"))
    client.calls = calls  # type: ignore[attr-defined]
    yield client


def test_the_private_key_is_read_from_secrets_manager_once(
    secrets_client: Any, pem: bytes, private_key: rsa.RSAPrivateKey
) -> None:
    name = f"cdn-key-{hashlib.sha1(pem).hexdigest()[:8]}"
    arn = secrets_client.create_secret(Name=name, SecretString=pem.decode())["ARN"]
    settings = DeliverySettings(
        delivery_mode="cdn", cdn_base_url=BASE, cdn_key_pair_id="K1", cdn_private_key_secret=arn
    )
    signer = signer_from_settings(settings, secrets_client=secrets_client)
    assert secrets_client.calls == []  # nothing is read before the first signature
    urls = [signer.sign(f"renditions/o/i/{n}").url for n in range(5)]
    assert secrets_client.calls == ["get"]
    for url in urls:
        verify_cloudfront(url, private_key.public_key())


def test_the_private_key_can_come_from_an_ssm_securestring(moto_endpoint: str, pem: bytes) -> None:
    ssm = boto3.client("ssm", endpoint_url=moto_endpoint)
    ssm.put_parameter(Name="/image-api/test/cdn-key", Value=pem.decode(), Type="SecureString", Overwrite=True)
    assert secret_key_loader("ssm:/image-api/test/cdn-key", ssm)() == pem


def test_an_empty_secret_is_an_error_not_a_key(secrets_client: Any) -> None:
    arn = secrets_client.create_secret(Name="cdn-key-placeholder", SecretString="{}")["ARN"]
    signer = CloudFrontRenditionSigner(BASE, "K1", secret_key_loader(arn, secrets_client))
    with pytest.raises(ValueError, match="no PEM"):
        signer.sign(KEY)


def test_cdn_mode_needs_its_three_settings() -> None:
    with pytest.raises(ValidationError, match="CDN_BASE_URL, CDN_KEY_PAIR_ID, CDN_PRIVATE_KEY_SECRET"):
        DeliverySettings(delivery_mode="cdn")
    with pytest.raises(ValidationError, match="must not exceed"):
        DeliverySettings(delivery_url_ttl_seconds=600, delivery_url_window_seconds=900)
    with pytest.raises(ValidationError):
        DeliverySettings(delivery_url_ttl_seconds=7 * 3600)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Another test's local stack may have pointed the process at its endpoint: this one is AWS's.
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.setenv("DELIVERY_MODE", "s3")
    monkeypatch.setenv("DELIVERY_URL_TTL_SECONDS", "7200")
    monkeypatch.setenv("DELIVERY_URL_WINDOW_SECONDS", "600")
    monkeypatch.setenv("BUCKET_NAME", "some-bucket")
    settings = DeliverySettings()
    assert (settings.delivery_mode, settings.delivery_url_ttl_seconds, settings.delivery_url_window_seconds) == (
        "s3",
        7200,
        600,
    )
    signer = signer_from_settings(settings, endpoint_url=None, region="eu-west-1")
    assert isinstance(signer, S3RenditionSigner)
    assert signer.sign(KEY, now=T0).url.startswith(f"https://some-bucket.s3.eu-west-1.amazonaws.com/{KEY}?")


# ---------------------------------------------------------------- S3


def _s3_signer(endpoint: str | None, bucket: str = "delivery-test", token: str | None = None) -> S3RenditionSigner:
    creds = ReadOnlyCredentials("testing", "testing", token)
    return S3RenditionSigner(
        bucket, "us-east-1", lambda: creds, endpoint_url=endpoint, ttl_seconds=TTL, window_seconds=WINDOW
    )


def _sigv4_query_signature(url: str, secret: str, region: str = "us-east-1") -> str:
    """SigV4 for a presigned GET, written from AWS's documentation (independent of botocore)."""
    parts = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "X-Amz-Signature"]
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(params))
    canonical = "\n".join(["GET", parts.path, canonical_query, f"host:{parts.netloc}\n", "host", "UNSIGNED-PAYLOAD"])
    amz_date = dict(params)["X-Amz-Date"]
    scope = f"{amz_date[:8]}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{secret}".encode()
    for part in (amz_date[:8], region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def test_s3_urls_are_identical_within_a_window_and_change_across() -> None:
    signer = _s3_signer(None)
    assert signer.sign(KEY, now=T0 + 3).url == signer.sign(KEY, now=T0 + 897).url
    assert signer.sign(KEY, now=T0 + 3).url != signer.sign(KEY, now=T0 + 903).url


def test_s3_urls_are_signed_at_the_window_start_and_expire_after_ttl_plus_window() -> None:
    signed = _s3_signer(None, token="session-token").sign(KEY, now=T0 + 100)
    query = dict(parse_qsl(urlsplit(signed.url).query))
    assert query["X-Amz-Date"] == datetime.fromtimestamp(T0, UTC).strftime("%Y%m%dT%H%M%SZ")
    assert int(query["X-Amz-Expires"]) == TTL + WINDOW
    assert query["X-Amz-Security-Token"] == "session-token"
    assert query["X-Amz-SignedHeaders"] == "host"
    assert signed.expires_at.timestamp() == T0 + TTL + WINDOW
    assert query["X-Amz-Signature"] == _sigv4_query_signature(signed.url, "testing")


@pytest.fixture(scope="module")
def bucket(moto_endpoint: str) -> str:
    s3 = boto3.client("s3", endpoint_url=moto_endpoint)
    s3.create_bucket(Bucket="delivery-test")
    s3.put_object(Bucket="delivery-test", Key=KEY, Body=b"thumbnail bytes", ContentType="image/webp")
    return "delivery-test"


def test_an_s3_url_serves_the_object_from_the_local_endpoint_before_expiry(moto_endpoint: str, bucket: str) -> None:
    signed = _s3_signer(moto_endpoint, bucket).sign(KEY, version="3")
    assert signed.url.startswith(f"{moto_endpoint}/{bucket}/{KEY}?v=3&response-cache-control=private%2C%20max-age")
    assert query_signature_is_valid(signed.url)
    response = requests.get(signed.url, timeout=10)
    assert response.status_code == 200
    assert response.content == b"thumbnail bytes"
    assert response.headers["Content-Type"] == "image/webp"
    # The objects carry no Cache-Control: the signed URL asks S3 for one, so browsers keep it.
    assert response.headers["Cache-Control"] == f"private, max-age={TTL}, immutable"


def test_an_expired_s3_url_is_refused_by_the_local_endpoint(moto_endpoint: str, bucket: str) -> None:
    signed = _s3_signer(moto_endpoint, bucket).sign(KEY, now=time.time() - TTL - WINDOW - 1)
    response = requests.get(signed.url, timeout=10)
    assert response.status_code == 403
    assert b"expired" in response.content


def query_signature_is_valid(url: str) -> bool:
    return dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"] == _sigv4_query_signature(url, "testing")
