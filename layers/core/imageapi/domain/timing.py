"""Where the time of a use case goes: named wall-clock laps in milliseconds, for logs and the bench.

Operators read them in the ``image ready`` log line (CloudWatch Logs Insights can aggregate the
fields); ``python -m bench --only e2e`` reads the same fields from the local stack.
"""

import time


class Stopwatch:
    """``mark(name)`` books the time since the previous mark (or the start) under ``name``."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.add(name, (now - self._last) * 1000)
        self._last = now

    def add(self, name: str, ms: float) -> None:
        self.laps[name] = round(self.laps.get(name, 0.0) + ms, 1)
