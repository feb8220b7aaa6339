"""Endpoint secrets sealed with KMS (``SecretBox`` of domain/webhooks/ports).

The plain secret exists only in the create/rotate answer and in the delivery function's memory:
at rest it is KMS ciphertext, bound to its owner and endpoint by the encryption context (a
ciphertext copied onto another endpoint does not open). A container keeps what it opened for a
few minutes, so a burst of deliveries to one endpoint costs one ``Decrypt``."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

CACHE_SECONDS = 300.0
CACHE_ENTRIES = 256


class KmsSecretBox:
    def __init__(self, client: KMSClient, key_id: str) -> None:
        self._kms = client
        self._key_id = key_id
        self._opened: dict[bytes, tuple[float, str]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _context(owner: str, endpoint_id: str) -> dict[str, str]:
        return {"service": "serverless-image-api/webhooks", "owner": owner, "endpoint": endpoint_id}

    def seal(self, secret: str, owner: str, endpoint_id: str) -> bytes:
        sealed = self._kms.encrypt(
            KeyId=self._key_id, Plaintext=secret.encode(), EncryptionContext=self._context(owner, endpoint_id)
        )
        return bytes(sealed["CiphertextBlob"])

    def open(self, sealed: bytes, owner: str, endpoint_id: str) -> str:
        now = time.monotonic()
        with self._lock:
            cached = self._opened.get(sealed)
            if cached and cached[0] > now:
                return cached[1]
        plain = self._kms.decrypt(
            CiphertextBlob=sealed, KeyId=self._key_id, EncryptionContext=self._context(owner, endpoint_id)
        )["Plaintext"]
        secret = bytes(plain).decode()
        with self._lock:
            if len(self._opened) >= CACHE_ENTRIES:
                self._opened.clear()
            self._opened[sealed] = (now + CACHE_SECONDS, secret)
        return secret
