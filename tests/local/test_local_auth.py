"""The local JWT issuer refuses every token API Gateway's JWT authorizer would refuse."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from local.edge.auth import AuthError, LocalIssuer

ISS, AUD = "http://127.0.0.1:1/_local", ["image-api", "second"]


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> LocalIssuer:
    return LocalIssuer(tmp_path_factory.mktemp("keys"), ISS, AUD)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**over: object) -> dict[str, object]:
    now = int(time.time())
    return {"iss": ISS, "aud": "image-api", "sub": "alice", "iat": now, "exp": now + 60, **over}


def test_good_token(issuer: LocalIssuer) -> None:
    claims = issuer.verify("Bearer " + issuer.issue_token("alice"))
    assert claims["sub"] == "alice" and claims["iss"] == ISS and claims["aud"] == "image-api"
    assert jwt.get_unverified_header(issuer.issue_token("x"))["kid"] == issuer.kid
    assert issuer.jwks()["keys"][0]["kid"] == issuer.kid


def test_key_is_kept(tmp_path: Path) -> None:
    first = LocalIssuer(tmp_path, ISS, AUD)
    again = LocalIssuer(tmp_path, ISS, AUD)
    assert first.kid == again.kid
    assert again.verify("Bearer " + first.issue_token("bob"))["sub"] == "bob"
    assert (tmp_path / "jwt-signing-key.pem").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic abc", "Bearer not-a-jwt"])
def test_missing_or_malformed(issuer: LocalIssuer, header: str | None) -> None:
    with pytest.raises(AuthError):
        issuer.verify(header)


def test_expired(issuer: LocalIssuer) -> None:
    with pytest.raises(AuthError, match="expired"):
        issuer.verify("Bearer " + issuer.issue_token("alice", ttl=-5))


def test_wrong_issuer(issuer: LocalIssuer, tmp_path: Path) -> None:
    other = LocalIssuer(tmp_path, "https://evil.example/", AUD)
    with pytest.raises(AuthError):
        issuer.verify(
            "Bearer "
            + jwt.encode(
                _claims(iss="https://evil.example/"), other._key, algorithm="RS256", headers={"kid": issuer.kid}
            )
        )


def test_wrong_audience(issuer: LocalIssuer) -> None:
    token = jwt.encode(_claims(aud="someone-else"), issuer._key, algorithm="RS256", headers={"kid": issuer.kid})
    with pytest.raises(AuthError, match=r"[Aa]udience"):
        issuer.verify("Bearer " + token)


def test_second_audience_is_accepted(issuer: LocalIssuer) -> None:
    token = jwt.encode(_claims(aud="second"), issuer._key, algorithm="RS256", headers={"kid": issuer.kid})
    assert issuer.verify("Bearer " + token)["aud"] == "second"


@pytest.mark.parametrize("missing", ["exp", "iss", "aud"])
def test_required_claims(issuer: LocalIssuer, missing: str) -> None:
    claims = _claims()
    del claims[missing]
    token = jwt.encode(claims, issuer._key, algorithm="RS256", headers={"kid": issuer.kid})
    with pytest.raises(AuthError):
        issuer.verify("Bearer " + token)


def test_wrong_key_same_kid(issuer: LocalIssuer, tmp_path: Path) -> None:
    other = LocalIssuer(tmp_path, ISS, AUD)
    forged = jwt.encode(_claims(), other._key, algorithm="RS256", headers={"kid": issuer.kid})
    with pytest.raises(AuthError, match=r"[Ss]ignature"):
        issuer.verify("Bearer " + forged)
    with pytest.raises(AuthError, match="unknown key"):
        issuer.verify("Bearer " + other.issue_token("alice"))


def test_alg_none(issuer: LocalIssuer) -> None:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": issuer.kid}).encode())
    token = f"{header}.{_b64(json.dumps(_claims()).encode())}."
    with pytest.raises(AuthError):
        issuer.verify("Bearer " + token)


def test_hs256_signed_with_the_public_key(issuer: LocalIssuer) -> None:
    public_pem = issuer._public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = (
        _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": issuer.kid}).encode())
        + "."
        + _b64(json.dumps(_claims()).encode())
    )
    sig = _b64(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())
    with pytest.raises(AuthError):
        issuer.verify(f"Bearer {signing_input}.{sig}")
