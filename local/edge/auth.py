"""The local JWT issuer: an RS256 key kept in `.local/`, tokens for any `sub`, a JWKS, and the
same checks API Gateway's JWT authorizer makes (signature by a known `kid`, RS256 only, `iss`,
`aud`, `exp` required and enforced)."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KEY_FILE = "jwt-signing-key.pem"


class AuthError(Exception):
    """The request carries no valid bearer token (answered with 401)."""


def _load_or_create_key(state_dir: Path, filename: str = KEY_FILE) -> rsa.RSAPrivateKey:
    path = state_dir / filename
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = new_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # Written atomically, owner-only: parallel first runs must not read half a key.
        fd, tmp = tempfile.mkstemp(dir=state_dir, prefix=".key-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        os.chmod(tmp, 0o600)
        if not path.exists():
            os.replace(tmp, path)
        else:
            os.unlink(tmp)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} is not an RSA private key")
    return key


class LocalIssuer:
    """Issues and verifies RS256 tokens for `issuer` and `audience`."""

    def __init__(self, state_dir: Path, issuer: str, audience: str | Iterable[str]) -> None:
        self.issuer = issuer
        self.audience = [audience] if isinstance(audience, str) else list(audience)
        if not self.audience:
            raise ValueError("at least one audience is required")
        self._key = _load_or_create_key(state_dir)
        self._public = self._key.public_key()
        jwk = json.loads(RSAAlgorithm.to_jwk(self._public))
        # RFC 7638 thumbprint as the key id, so it changes only when the key does.
        self.kid = _thumbprint(jwk)
        self._jwk = {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def issue_token(self, sub: str, ttl: int = 3600, scopes: Iterable[str] = (), **claims: Any) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience[0],
            "sub": sub,
            "iat": now,
            "exp": now + ttl,
            **claims,
        }
        if scopes:
            payload["scope"] = " ".join(scopes)
        return jwt.encode(payload, self._key, algorithm="RS256", headers={"kid": self.kid})

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self._jwk]}

    def verify(self, authorization_header: str | None) -> dict[str, Any]:
        """Claims of a valid `Bearer <jwt>`; AuthError for anything else."""
        if not authorization_header:
            raise AuthError("missing Authorization header")
        scheme, _, token = authorization_header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("Authorization header is not a bearer token")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "RS256":
                raise AuthError(f"signing algorithm {header.get('alg')!r} is not accepted")
            if header.get("kid") != self.kid:
                raise AuthError("token signed by an unknown key")
            return jwt.decode(
                token,
                self._public,
                algorithms=["RS256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud"]},
                leeway=0,
            )
        except jwt.PyJWTError as exc:
            raise AuthError(str(exc)) from exc


def _thumbprint(jwk: dict[str, Any]) -> str:
    import base64
    import hashlib

    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
