"""Opaque, tamper-evident list cursors.

A cursor is ``base64url(json).base64url(hmac)``; the HMAC covers the owner and the query it
continues, so a cursor cannot be forged, edited, or replayed by another owner or another query.
"""

import base64
import hashlib
import hmac
import json
from typing import Any

from imageapi.domain.errors import BadRequest


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def _mac(self, payload: bytes, scope: str) -> bytes:
        return hmac.new(self._key, scope.encode() + b"\0" + payload, hashlib.sha256).digest()[:16]

    def encode(self, position: dict[str, Any], scope: str) -> str:
        payload = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload, scope))}"

    def decode(self, cursor: str, scope: str) -> dict[str, Any]:
        try:
            payload_part, mac_part = cursor.split(".")
            payload = _unb64(payload_part)
            mac = _unb64(mac_part)
        except (ValueError, TypeError) as error:
            raise BadRequest("cursor is malformed") from error
        if not hmac.compare_digest(mac, self._mac(payload, scope)):
            raise BadRequest("cursor is invalid for this query")
        position = json.loads(payload)
        if not isinstance(position, dict):
            raise BadRequest("cursor is malformed")
        return position
