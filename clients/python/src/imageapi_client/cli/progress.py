"""The progress display of upload, import and export: files, bytes and rate on one rich bar (on a
terminal), and one line per problem file (always, on stderr)."""

from __future__ import annotations

import threading
import time

from rich.console import Console
from rich.filesize import decimal
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.text import Text


class FilesColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{int(task.completed)}/{int(task.total or 0)} files")


class BytesColumn(ProgressColumn):
    """Bytes of the files done (resumed ones included) out of all, and this run's transfer rate."""

    def render(self, task: Task) -> Text:
        done, total = task.fields.get("bytes_done", 0), task.fields.get("bytes_total", 0)
        rate = task.fields.get("rate", 0.0)
        return Text(f"{decimal(int(done))}/{decimal(int(total))}  {decimal(int(rate))}/s")


class TransferDisplay:
    """Thread-safe: workers add bytes as they are sent; the main thread counts files."""

    def __init__(self, console: Console, label: str, *, live: bool | None = None) -> None:
        self.console = console
        self.live = console.is_terminal if live is None else live
        self._lock = threading.Lock()
        self._sent = 0  # bytes sent by this run (the rate)
        self._bytes_done = 0
        self._started = time.monotonic()
        self._progress = Progress(
            TextColumn(f"[bold]{label}[/]"),
            BarColumn(),
            TaskProgressColumn(),
            FilesColumn(),
            BytesColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=not self.live,
        )
        self._task = self._progress.add_task(label, total=0, bytes_done=0, bytes_total=0, rate=0.0)

    def start(self, files: int, total_bytes: int, files_done: int = 0, bytes_done: int = 0) -> None:
        self._bytes_done = bytes_done
        self._progress.update(
            self._task, total=files, completed=files_done, bytes_total=total_bytes, bytes_done=bytes_done
        )
        self._started = time.monotonic()
        self._progress.start()

    def sent(self, count: int) -> None:
        """Bytes on the wire (negative when a cut upload's bytes no longer count)."""
        with self._lock:
            self._sent += count
            self._refresh()

    def file_done(self, size: int) -> None:
        with self._lock:
            self._bytes_done += size
            self._progress.advance(self._task, 1)
            self._refresh()

    def _refresh(self) -> None:
        elapsed = max(1e-6, time.monotonic() - self._started)
        self._progress.update(self._task, bytes_done=self._bytes_done, rate=max(0, self._sent) / elapsed)

    def say(self, text: str) -> None:
        """One line for a person, above the bar when there is one (stderr)."""
        self._progress.console.print(text, markup=False, highlight=False)

    @property
    def bytes_sent(self) -> int:
        return self._sent

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def stop(self) -> None:
        self._progress.stop()
