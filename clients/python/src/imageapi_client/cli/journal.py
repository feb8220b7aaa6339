"""The upload journal: how `imageapi upload` (and `import`) goes on where it stopped.

One JSON Lines file, by default ``.imageapi-journal.jsonl`` in the directory the command runs in
(``--journal FILE`` puts it elsewhere). Each line is one event, appended and flushed before the
command moves on, so a Ctrl-C, a crash or a dropped connection loses at most the line being written
(a torn last line is ignored). Every line names the API (``api``) and the token's owner (``owner``),
so one journal serves several services and accounts. Two kinds of lines:

- about bytes (``sha256``): ``created`` (the image id and its presigned form, valid 15 minutes),
  ``uploaded`` (the storage took the bytes), ``final`` (``ready`` or ``rejected``, with the reason).
  A rerun never sends bytes twice: ``uploaded`` but still pending is waited for; ``created`` whose
  upload was cut is sent again to the same form (same key, so still one object) or, once the form
  has expired, its pending record is deleted and the file starts over.
- about files (``path``, ``size``, ``mtime_ns``): ``done`` with the file's outcome. A file whose
  size and modification time are unchanged is not hashed again, and counts as done from the start
  (the progress bar resumes there).

When the file holds more than twice as many lines as it has keys, it is rewritten (atomically)
with the latest line of each key. Delete it to start over: the service's sha256 check still keeps
a ready image from being uploaded twice.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEFAULT_NAME = ".imageapi-journal.jsonl"
VERSION = 1


@dataclass
class BytesState:
    """What the journal knows about one sha256 (merged over its lines)."""

    sha256: str
    event: str  # created | uploaded | final
    image_id: str | None = None
    form: dict[str, Any] | None = None  # {url, fields, expires_at} while only created
    status: str | None = None  # final: ready | rejected
    reason: str | None = None

    def form_valid(self, now: datetime, margin_s: float = 60.0) -> bool:
        if not self.form:
            return False
        try:
            expires = datetime.fromisoformat(str(self.form["expires_at"]))
        except (KeyError, ValueError):
            return False
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        return (expires - now).total_seconds() > margin_s


@dataclass
class FileState:
    path: str
    size: int
    mtime_ns: int
    sha256: str
    outcome: str
    image_id: str | None = None
    reason: str | None = None


@dataclass
class Journal:
    path: Path
    api: str
    owner: str
    _bytes: dict[str, BytesState] = field(default_factory=dict)
    _files: dict[str, FileState] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------------ reading
    def load(self) -> None:
        lines = self._read_lines()
        latest: dict[tuple[str, ...], dict[str, Any]] = {}
        for line in lines:
            key = _key(line)
            if key is None:
                continue
            latest[key] = line  # every line carries all its key needs (the image id included)
            if line.get("api") == self.api and line.get("owner") == self.owner:
                self._apply(line)
        if len(lines) > 2 * max(1, len(latest)) and len(lines) > 50:
            self._rewrite(list(latest.values()))

    def _read_lines(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines: list[dict[str, Any]] = []
        with self.path.open(encoding="utf-8") as fh:
            for raw in fh:
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue  # a line torn by a crash
                if isinstance(line, dict) and line.get("v") == VERSION:
                    lines.append(line)
        return lines

    def _apply(self, line: dict[str, Any]) -> None:
        event = line.get("event")
        if event in ("created", "uploaded", "final"):
            sha = str(line["sha256"])
            state = self._bytes.get(sha) or BytesState(sha, str(event))
            state.event = str(event)
            state.image_id = line.get("id") or state.image_id
            state.form = line.get("form") if event == "created" else None
            state.status = line.get("status") if event == "final" else None
            state.reason = line.get("reason") if event == "final" else None
            self._bytes[sha] = state
        elif event == "done":
            self._files[str(line["path"])] = FileState(
                path=str(line["path"]),
                size=int(line["size"]),
                mtime_ns=int(line["mtime_ns"]),
                sha256=str(line["sha256"]),
                outcome=str(line["outcome"]),
                image_id=line.get("id"),
                reason=line.get("reason"),
            )

    def bytes_state(self, sha256: str) -> BytesState | None:
        with self._lock:
            return self._bytes.get(sha256)

    def file_state(self, path: Path, size: int, mtime_ns: int) -> FileState | None:
        """The file's last outcome, if it is unchanged since (same size and modification time)."""
        with self._lock:
            state = self._files.get(str(path))
        if state and state.size == size and state.mtime_ns == mtime_ns:
            return state
        return None

    # ------------------------------------------------------------------ writing
    def record(self, event: str, **data: Any) -> None:
        line = {"v": VERSION, "api": self.api, "owner": self.owner, "event": event, **data}
        text = json.dumps(line, separators=(",", ":"), default=str) + "\n"
        with self._lock:
            self._apply(line)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()

    def _rewrite(self, lines: list[dict[str, Any]]) -> None:
        handle, tmp = tempfile.mkstemp(prefix=self.path.name, dir=self.path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as fh:
            for line in lines:
                fh.write(json.dumps(line, separators=(",", ":"), default=str) + "\n")
        os.replace(tmp, self.path)


def _key(line: dict[str, Any]) -> tuple[str, ...] | None:
    api, owner, event = str(line.get("api")), str(line.get("owner")), line.get("event")
    if event in ("created", "uploaded", "final") and line.get("sha256"):
        return ("bytes", api, owner, str(line["sha256"]))
    if event == "done" and line.get("path"):
        return ("file", api, owner, str(line["path"]))
    return None
