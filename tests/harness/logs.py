"""Capturing what the handlers log, to assert that secrets never reach a log line."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator


class LogCapture(logging.Handler):
    """Every record of every logger while installed (root, propagation-less Powertools loggers,
    werkzeug, local.*), formatted, plus what the handlers print to stdout/stderr."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self._lock2 = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a record whose args do not format
            text = str(record.msg)
        extra = {
            k: v for k, v in record.__dict__.items() if k not in logging.LogRecord("", 0, "", 0, "", (), None).__dict__
        }
        with self._lock2:
            self.lines.append(f"{record.name} {record.levelname} {text} {extra} {record.exc_text or ''}")

    @property
    def text(self) -> str:
        with self._lock2:
            return "\n".join(self.lines)


@contextlib.contextmanager
def capture_logs(
    debug: tuple[str, ...] = ("image-api", "imageapi", "urllib3"), *, this_thread: bool = False
) -> Iterator[LogCapture]:
    """Capture every record any logger emits (whatever its handlers or propagation, including
    loggers created while capturing), at the levels the stack runs with plus DEBUG for the
    service's own loggers and urllib3 (what an operator's LogLevel=DEBUG turns on)."""
    capture = LogCapture()
    original = logging.Logger.handle
    test_thread = threading.current_thread()

    def handle(self: logging.Logger, record: logging.LogRecord) -> None:
        original(self, record)  # the logger's own filters first (they may redact the record)
        # Only the stack's threads (gateway, AWS endpoint, pollers): not the test's own client.
        if not self.disabled and (this_thread or threading.current_thread() is not test_thread):
            capture.handle(record)

    levels = {name: logging.getLogger(name).level for name in debug}
    for name in debug:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.Logger.handle = handle  # type: ignore[method-assign]
    try:
        yield capture
    finally:
        logging.Logger.handle = original  # type: ignore[method-assign]
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
