"""Where an image's objects live in the bucket.

``incoming/`` receives uploads (presigned POST, URL import, direct upload) and is the only
prefix that notifies the ingest queue; a lifecycle rule expires what ingest never claims.
``originals/`` and ``renditions/`` hold what ingest accepted. The owner is in every key (URL-safe
base64 of the JWT ``sub``) so ingest can find the record from the S3 event alone.
"""

import base64
from dataclasses import dataclass
from urllib.parse import unquote_plus

from imageapi.domain.ids import is_image_id

INCOMING = "incoming"
ORIGINALS = "originals"
RENDITIONS = "renditions"


def encode_owner(owner: str) -> str:
    return base64.urlsafe_b64encode(owner.encode()).decode().rstrip("=")


def decode_owner(token: str) -> str:
    padded = token + "=" * (-len(token) % 4)
    # validate=True: refuse characters outside the alphabet instead of silently skipping them.
    return base64.b64decode(padded.encode(), altchars=b"-_", validate=True).decode()


def incoming_key(owner: str, image_id: str) -> str:
    return f"{INCOMING}/{encode_owner(owner)}/{image_id}"


def original_key(owner: str, image_id: str) -> str:
    return f"{ORIGINALS}/{encode_owner(owner)}/{image_id}"


def rendition_key(owner: str, image_id: str, name: str) -> str:
    return f"{RENDITIONS}/{encode_owner(owner)}/{image_id}/{name}"


def image_prefixes(owner: str, image_id: str) -> list[str]:
    """Every prefix under which an image may have objects (for delete)."""
    token = encode_owner(owner)
    return [
        f"{INCOMING}/{token}/{image_id}",
        f"{ORIGINALS}/{token}/{image_id}",
        f"{RENDITIONS}/{token}/{image_id}/",
    ]


@dataclass(frozen=True)
class IncomingObject:
    owner: str
    image_id: str


def parse_incoming_key(raw_key: str) -> IncomingObject | None:
    """Keys arrive URL-encoded in S3 events (spaces as '+'). None for keys we did not issue."""
    key = unquote_plus(raw_key)
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != INCOMING:
        return None
    try:
        owner = decode_owner(parts[1])
    except (ValueError, UnicodeDecodeError):
        return None
    if not owner or not is_image_id(parts[2]):
        return None
    return IncomingObject(owner=owner, image_id=parts[2])
