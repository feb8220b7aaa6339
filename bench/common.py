"""Shared helpers: paths, fresh pinned subprocesses, medians, result rows."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "layers" / "core"
WORK = ROOT / "bench" / ".work"
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable  # the project venv (make bench runs .venv/bin/python -m bench)

# One core, one thread everywhere: the way Lambda gives a small function one vCPU.
SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VIPS_CONCURRENCY": "1",
    "VIPS_WARNING": "0",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "",
}

# Prepended to every child script: pin to core 0 before anything else is imported.
PIN = "import os\nos.sched_setaffinity(0, {0})\n"


@dataclass
class Row:
    section: str
    figure: str
    value: float | int | str | None
    unit: str = ""
    target: str = ""
    ok: bool | None = None  # None: reported only, no target
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    key: str = ""  # the bench section that produced it (renditions, memory, ...)

    def status(self) -> str:
        return "" if self.ok is None else ("PASS" if self.ok else "MISS")

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status()
        return d


def child_env(extra: dict[str, str | None] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(SINGLE_THREAD_ENV)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for name, value in (extra or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_child(
    code: str,
    *args: str,
    python: str = PYTHON,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    pin: bool = True,
) -> Any:
    """Run ``code`` in a fresh interpreter (pinned to core 0) and parse the JSON on its last line
    (an object or a list, whatever the child printed)."""
    script = (PIN if pin else "") + code
    proc = subprocess.run(
        [python, "-c", script, *args],
        capture_output=True,
        text=True,
        env=env or child_env(),
        timeout=timeout,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return json.loads(lines[-1])


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with contextlib.suppress(OSError):
        info["loadavg_start"] = os.getloadavg()
    return info


def fmt_value(value: Any, unit: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        if abs(value) >= 100:
            text = f"{value:.0f}"
        elif abs(value) >= 10:
            text = f"{value:.1f}"
        else:
            text = f"{value:.2f}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def print_table(rows: list[Row], file: Any = None) -> None:
    file = file or sys.stdout
    headers = ("section", "figure", "value", "target", "status")
    table = [(r.section, r.figure, fmt_value(r.value, r.unit), r.target, r.status()) for r in rows]
    widths = [max(len(h), *(len(t[i]) for t in table)) if table else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line, file=file)
    print("  ".join("-" * w for w in widths), file=file)
    for t in table:
        print("  ".join(c.ljust(w) for c, w in zip(t, widths, strict=True)), file=file)


def markdown_table(rows: list[Row]) -> str:
    out = ["| section | figure | value | target | status |", "| --- | --- | --- | --- | --- |"]
    for r in rows:
        cells = (r.section, r.figure, fmt_value(r.value, r.unit), r.target, r.status())
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
