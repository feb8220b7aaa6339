"""Time-sortable image ids (ULID layout: 48-bit millisecond time, 80 random bits, Crockford
base32). Lexicographic order is creation order, so DynamoDB sort keys list newest first."""

import os
import re
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_PATTERN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def new_image_id(now_ms: int | None = None) -> str:
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    return ulid(millis, os.urandom(10))


def ulid(millis: int, entropy: bytes) -> str:
    """The ULID of ``millis`` with the first 80 bits of ``entropy`` (deterministic ids use a hash)."""
    value = (millis << 80) | int.from_bytes(entropy[:10], "big")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_image_id(value: str) -> bool:
    return bool(ID_PATTERN.match(value))
