"""The presigned POST (SPEC §3.2 way 1): the form's fields, then the file, streamed from disk.

httpx sends a file object in a multipart body in chunks (with a Content-Length from the file's
size, which S3 requires), so a 20 MiB photo costs a chunk of memory, not 20 MiB. The storage
answers 204 with no body, or an XML error (``<Code>``, ``<Message>``) that becomes a StorageError.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import httpx

from imageapi_client.errors import StorageError

CHUNK = 256 * 1024
ProgressCallback = Callable[[int], None]


def sha256_of(path: Path, chunk: int = CHUNK) -> str:
    """The file's sha256, read in chunks (never the whole file at once)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


class CountingReader:
    """A read-only file object that reports how many bytes were read, for a progress bar. It keeps
    ``fileno``/``seek``/``tell`` so httpx can size it (Content-Length) and rewind it."""

    def __init__(self, raw: IO[bytes], on_read: ProgressCallback | None) -> None:
        self._raw = raw
        self._on_read = on_read
        self.sent = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(CHUNK if size is None or size < 0 else size)
        if data:
            self.sent += len(data)
            if self._on_read:
                self._on_read(len(data))
        return data

    def fileno(self) -> int:
        return self._raw.fileno()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if offset == 0 and whence == os.SEEK_SET and self.sent and self._on_read:
            self._on_read(-self.sent)  # a rewind (httpx retrying the body) starts the count over
            self.sent = 0
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        self._raw.close()


def post_form(
    http: httpx.Client,
    url: str,
    fields: Mapping[str, str],
    path: Path,
    content_type: str,
    *,
    on_progress: ProgressCallback | None = None,
) -> None:
    """POST ``path`` to a presigned form. Raises StorageError when the storage refuses it, and
    httpx's transport errors when the connection fails (the caller decides whether to go on)."""
    with path.open("rb") as raw:
        reader = CountingReader(raw, on_progress)
        files: Any = {"file": (path.name, reader, content_type)}
        try:
            response = http.post(url, data=dict(fields), files=files)
        except BaseException:
            if on_progress and reader.sent:
                on_progress(-reader.sent)  # nothing of it counts as sent
            raise
    if response.status_code >= 300:
        raise storage_error(response)


def storage_error(response: httpx.Response) -> StorageError:
    text = response.text

    def tag(name: str) -> str:
        found = re.search(rf"<{name}>(.*?)</{name}>", text, re.S)
        return found.group(1).strip() if found else ""

    message = tag("Message") or text[:200].strip()
    # S3 names the sizes behind EntityTooLarge/EntityTooSmall: say them, they are the whole story.
    sizes = [f"{label} {value} bytes" for label, name in SIZE_TAGS if (value := tag(name))]
    if sizes:
        message = f"{message} ({', '.join(sizes)})"
    return StorageError(response.status_code, tag("Code") or "Error", message)


SIZE_TAGS = (("sent", "ProposedSize"), ("allowed at most", "MaxSizeAllowed"), ("allowed at least", "MinSizeAllowed"))
