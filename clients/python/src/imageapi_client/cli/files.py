"""Which files an `imageapi upload PATH...` means: files as given, folders walked recursively for
image files (by extension; hidden files and folders skipped), and glob patterns (``**`` too)."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from imageapi_client.media import is_image_name


@dataclass(frozen=True)
class FileTask:
    path: Path  # absolute
    root: Path | None  # the folder it was found in (for --title-from path); None: given as a file
    size: int
    mtime_ns: int
    title: str | None = None  # fixed title (import); None: from the file's name or path
    content_type: str | None = None  # fixed type (import); None: from the extension or bytes
    sha256: str | None = None  # expected sha256 (import): a file that differs is refused


class MissingPath(Exception):
    pass


def _hidden(name: str) -> bool:
    return name.startswith(".")


def walk(folder: Path) -> tuple[list[Path], int]:
    """The image files below ``folder`` (sorted, hidden ones left out) and how many others it holds."""
    found: list[Path] = []
    others = 0
    for current, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        visible = [n for n in sorted(names) if not _hidden(n)]
        found.extend(Path(current) / n for n in visible if is_image_name(Path(n)))
        others += sum(1 for n in visible if not is_image_name(Path(n)))
    return found, others


def collect(arguments: list[str]) -> tuple[list[FileTask], int]:
    """The files to upload, each once, in a stable order, and how many files the folders held that
    are no images (skipped). MissingPath when an argument names nothing: nothing is uploaded then."""
    seen: set[Path] = set()
    tasks: list[FileTask] = []
    skipped = 0
    missing: list[str] = []

    def add(path: Path, root: Path | None) -> None:
        path = path.resolve()
        if path in seen:
            return
        seen.add(path)
        info = path.stat()
        tasks.append(FileTask(path=path, root=root, size=info.st_size, mtime_ns=info.st_mtime_ns))

    def expand(path: Path) -> None:
        nonlocal skipped
        if path.is_dir():
            root = path.resolve()
            images, others = walk(path)
            skipped += others
            for image in images:
                add(image, root)
        else:
            add(path, None)

    for argument in arguments:
        path = Path(argument).expanduser()
        if path.exists():
            expand(path)
        elif glob.has_magic(argument):
            matches = sorted(glob.glob(os.path.expanduser(argument), recursive=True))
            if not matches:
                missing.append(argument)
            for match in matches:
                expand(Path(match))
        else:
            missing.append(argument)
    if missing:
        raise MissingPath(", ".join(missing))
    return tasks, skipped
