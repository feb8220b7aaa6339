"""`imageapi export DIR` and `imageapi import DIR`: an account's images out and back in, losslessly.

An export is a folder:
- ``originals/<id>.<ext>``: every ready image's original, byte for byte as uploaded;
- ``images.jsonl``: one JSON object a line, oldest first: ``id``, ``title``, ``created_at``,
  ``updated_at``, ``content_type`` (the original's), ``bytes``, ``sha256``, ``width``, ``height``
  (the original's), ``file`` (its path in the folder) and ``analysis`` (GET /images/{id}/analysis).

Every downloaded file is checked against the record's sha256 (a mismatch is an error, the file is
not kept). An export resumes: ``.imageapi-export.jsonl`` in the folder holds the lines of the
images already exported by an interrupted run, ``images.jsonl`` those of a finished one; their
files are checked again (sha256), not downloaded again. ``images.jsonl`` is written, at once, only
when every image is in. Import uploads each listed file
with its title, checking its sha256 first, through the uploader (journal, dedupe, waiting for ready).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imageapi_client.cli.files import FileTask, MissingPath
from imageapi_client.cli.progress import TransferDisplay
from imageapi_client.errors import ImageApiError
from imageapi_client.generated.models import ImageOut
from imageapi_client.media import EXTENSIONS
from imageapi_client.sdk import ImageAPI
from imageapi_client.uploads import sha256_of

INDEX = "images.jsonl"
STATE = ".imageapi-export.jsonl"
ORIGINALS = "originals"
EXTENSION_OF = {mime: ext for ext, mime in reversed(list(EXTENSIONS.items()))}  # first spelling wins


class ChecksumMismatch(ImageApiError):
    pass


@dataclass
class ExportReport:
    images: int
    downloaded: int
    resumed: int
    bytes: int
    seconds: float


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue  # torn by a crash
        if isinstance(line, dict):
            lines.append(line)
    return lines


def _write_atomically(path: Path, lines: list[dict[str, Any]]) -> None:
    handle, tmp = tempfile.mkstemp(prefix=path.name, dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
    os.replace(tmp, path)


class Exporter:
    def __init__(self, api: ImageAPI, folder: Path, display: TransferDisplay, concurrency: int = 4) -> None:
        self.api, self.folder, self.display, self.concurrency = api, folder, display, concurrency
        self._lock = threading.Lock()

    def run(self) -> ExportReport:
        (self.folder / ORIGINALS).mkdir(parents=True, exist_ok=True)
        state = self.folder / STATE
        # The lines of a finished export (images.jsonl), then those of an interrupted one.
        earlier = {
            str(line["id"]): line for line in [*_read_jsonl(self.folder / INDEX), *_read_jsonl(state)] if "id" in line
        }
        images = list(self.api.iter_images(status="ready"))
        sizes = {image.id: _original_bytes(image) for image in images}
        self.display.start(len(images), sum(sizes.values()))
        if earlier:
            self.display.say(f"resuming: {len(earlier)} images exported earlier (checked again by sha256)")
        lines: dict[str, dict[str, Any]] = {}
        downloaded = 0

        def one(image: ImageOut) -> None:
            nonlocal downloaded
            line = earlier.get(image.id)
            if line is None or not self._intact(line, image):
                line = self._download(image)
                with self._lock:
                    downloaded += 1
                    with state.open("a", encoding="utf-8") as fh:
                        fh.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
            with self._lock:
                lines[image.id] = line
            self.display.file_done(sizes[image.id])

        pool = ThreadPoolExecutor(max_workers=max(1, self.concurrency), thread_name_prefix="export")
        try:
            for future in [pool.submit(one, image) for image in images]:
                future.result()
        except BaseException:  # Ctrl-C or an error: finish the files in flight, start no other
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
        ordered = sorted(lines.values(), key=lambda line: (str(line["created_at"]), str(line["id"])))
        _write_atomically(self.folder / INDEX, ordered)
        state.unlink(missing_ok=True)
        return ExportReport(
            len(images), downloaded, len(images) - downloaded, self.display.bytes_sent, self.display.elapsed
        )

    def _intact(self, line: dict[str, Any], image: ImageOut) -> bool:
        file = self.folder / str(line.get("file", ""))
        return file.is_file() and line.get("sha256") == image.sha256 and sha256_of(file) == image.sha256

    def _download(self, image: ImageOut) -> dict[str, Any]:
        analysis = self.api.analysis(image.id)
        mime = str(analysis.mime)
        relative = f"{ORIGINALS}/{image.id}.{EXTENSION_OF.get(mime, 'bin')}"
        target = self.folder / relative
        digest = hashlib.sha256()

        def chunk(data: bytes) -> None:
            digest.update(data)
            self.display.sent(len(data))

        link = self.api.download_link(image.id, variant="original")
        self.api.fetch(link.url, target, on_chunk=chunk)
        if digest.hexdigest() != image.sha256:
            target.unlink(missing_ok=True)
            raise ChecksumMismatch(f"{image.id}: the original's sha256 {digest.hexdigest()} is not the record's")
        original = image.original
        return {
            "id": image.id,
            "title": image.title,
            "created_at": image.created_at.isoformat(),
            "updated_at": image.updated_at.isoformat(),
            "content_type": mime,
            "bytes": original.bytes_ if original else target.stat().st_size,
            "sha256": image.sha256,
            "width": original.width if original else analysis.width,
            "height": original.height if original else analysis.height,
            "file": relative,
            "analysis": analysis.to_dict(),
        }


def _original_bytes(image: ImageOut) -> int:
    return int(image.original.bytes_) if image.original else int(image.bytes_ or 0)


def import_tasks(folder: Path) -> list[FileTask]:
    """The files of an export, each with its title, type and sha256 from images.jsonl."""
    index = folder / INDEX
    if not index.is_file():
        raise MissingPath(f"{index} (not an export made by `imageapi export`)")
    tasks: list[FileTask] = []
    missing: list[str] = []
    for line in _read_jsonl(index):
        path = (folder / str(line.get("file", ""))).resolve()
        if not path.is_file():
            missing.append(str(path))
            continue
        info = path.stat()
        tasks.append(
            FileTask(
                path=path,
                root=None,
                size=info.st_size,
                mtime_ns=info.st_mtime_ns,
                title=str(line["title"]),
                content_type=str(line.get("content_type") or "") or None,
                sha256=str(line.get("sha256") or "") or None,
            )
        )
    if missing:
        raise MissingPath(", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
    return tasks
