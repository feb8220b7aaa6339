"""Opaque, tamper-evident list cursors.

A cursor is ``base64url(json).base64url(hmac).key_id``; the HMAC covers the owner and the query it
continues, so a cursor cannot be forged, edited, or replayed by another owner or another query.

The HMAC key is a secret that can be rotated (docs/security.md). Every cursor names the key that
signed it, so a rotation does not break the cursors already handed out: the key that was current
before a rotation keeps verifying (never signing) for ``PREVIOUS_KEY_GRACE_SECONDS`` after the new
one was created. A cursor naming a key this container has not seen makes it read the keys again,
at most once per ``REFRESH_INTERVAL_SECONDS``: another container may have picked up a rotation
first.
"""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from imageapi.domain.errors import BadRequest

PREVIOUS_KEY_GRACE_SECONDS = 3600
REFRESH_INTERVAL_SECONDS = 10  # bounds the reads a forged key id can cause; ~8.6k a day a container at most
KEY_ID_LENGTH = 8


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id_of(material: str) -> str:
    """A short, stable name for a key (never the key itself)."""
    return hashlib.sha256(material.encode()).hexdigest()[:KEY_ID_LENGTH]


@dataclass(frozen=True)
class CursorKey:
    key_id: str
    secret: bytes
    created_at: float  # epoch seconds the key version was created (its rotation time)


@dataclass(frozen=True)
class CursorKeys:
    current: CursorKey
    previous: CursorKey | None = None

    def verifying(self, key_id: str, now: float) -> CursorKey | None:
        """The key that may verify a cursor signed by ``key_id`` at ``now`` (None: no such key)."""
        if key_id == self.current.key_id:
            return self.current
        previous = self.previous
        in_grace = now < self.current.created_at + PREVIOUS_KEY_GRACE_SECONDS
        return previous if previous is not None and key_id == previous.key_id and in_grace else None


class CursorKeySource(Protocol):
    """Where the keys come from (a secret store in AWS; a fixed key in tests)."""

    def load(self) -> CursorKeys: ...


@dataclass(frozen=True)
class FixedKeySource:
    """One key that never rotates (unit tests, the default local secret)."""

    secret: str

    def load(self) -> CursorKeys:
        return CursorKeys(CursorKey(key_id_of(self.secret), self.secret.encode(), created_at=0.0))


class CursorCodec:
    def __init__(self, source: CursorKeySource | str, clock: Callable[[], float] = time.time) -> None:
        self._source = FixedKeySource(source) if isinstance(source, str) else source
        self._clock = clock
        self._keys: CursorKeys | None = None  # read on the first cursor, once per container
        self._refreshed_at = float("-inf")

    def _loaded(self) -> CursorKeys:
        if self._keys is None:
            self._keys = self._source.load()
            self._refreshed_at = self._clock()
        return self._keys

    def _key_for(self, key_id: str) -> CursorKey | None:
        now = self._clock()
        key = self._loaded().verifying(key_id, now)
        if key is None and now - self._refreshed_at >= REFRESH_INTERVAL_SECONDS:
            self._keys, self._refreshed_at = self._source.load(), now
            key = self._keys.verifying(key_id, now)
        return key

    @staticmethod
    def _mac(key: CursorKey, payload: bytes, scope: str) -> bytes:
        return hmac.new(key.secret, scope.encode() + b"\0" + payload, hashlib.sha256).digest()[:16]

    def encode(self, position: dict[str, Any], scope: str) -> str:
        key = self._loaded().current
        payload = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(payload)}.{_b64(self._mac(key, payload, scope))}.{key.key_id}"

    def decode(self, cursor: str, scope: str) -> dict[str, Any]:
        try:
            payload_part, mac_part, key_id = cursor.split(".")
            payload = _unb64(payload_part)
            mac = _unb64(mac_part)
        except (ValueError, TypeError) as error:
            raise BadRequest("cursor is malformed") from error
        if len(key_id) != KEY_ID_LENGTH or key_id.strip("0123456789abcdef"):
            raise BadRequest("cursor is malformed")
        key = self._key_for(key_id)
        if key is None or not hmac.compare_digest(mac, self._mac(key, payload, scope)):
            raise BadRequest("cursor is invalid for this query")
        try:
            position = json.loads(payload)
        except ValueError as error:
            raise BadRequest("cursor is malformed") from error
        if not isinstance(position, dict):
            raise BadRequest("cursor is malformed")
        return position
