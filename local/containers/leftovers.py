"""What an earlier run left behind, found and removed on the next start.

A private engine (local/containers/engine.py) keeps its socket, pidfile and exec root in a
directory /tmp/sia-dockerd-*, with a record (engine.json) of the process that started it and the
bridges it made. While that process lives the engine is its own; once it is gone (stopped, or
killed so hard that even its children's parent-death signal could not help), the next start
stops what still runs from that directory (dockerd, containerd, the containers' shims and
processes), unmounts and removes it, and deletes Docker's bridges when no dockerd is left
that could own them. `sam local` processes of this checkout that outlived their `make sam-dev`
are ended the same way (stale_sam_processes).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

log = logging.getLogger("local.containers.leftovers")

WORK_PREFIX = "sia-dockerd-"
RECORD = "engine.json"
NET = Path("/sys/class/net")


@dataclass
class EngineRecord:
    """Who started a private engine, and what it made on the host."""

    owner_pid: int
    owner_started: float  # the owner's start time: a reused pid is not the owner
    made_bridges: list[str] = field(default_factory=list)

    @classmethod
    def for_this_process(cls, made_bridges: Iterable[str] = ()) -> EngineRecord:
        return cls(os.getpid(), psutil.Process().create_time(), list(made_bridges))

    def write(self, work: Path) -> None:
        partial = work / (RECORD + ".partial")
        partial.write_text(json.dumps(asdict(self)))
        partial.replace(work / RECORD)

    @classmethod
    def read(cls, work: Path) -> EngineRecord | None:
        try:
            return cls(**json.loads((work / RECORD).read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def owner_alive(self) -> bool:
        try:
            return abs(psutil.Process(self.owner_pid).create_time() - self.owner_started) < 0.01
        except psutil.Error:
            return False


def bridges() -> set[str]:
    """The host's Docker bridges: docker0 and the br-<id> of user-defined networks."""
    if not NET.is_dir():
        return set()
    return {p.name for p in NET.iterdir() if p.name == "docker0" or p.name.startswith("br-")}


def delete_bridges(names: Iterable[str]) -> list[str]:
    deleted = []
    for name in names:
        if (NET / name).exists():
            subprocess.run(["ip", "link", "delete", name], capture_output=True, check=False)  # noqa: S603, S607
            if not (NET / name).exists():
                deleted.append(name)
    return deleted


def processes_mentioning(text: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if any(text in arg for arg in proc.info["cmdline"] or ()):
            found.append(proc)
    return found


def end_processes(procs: Iterable[psutil.Process], *, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
    """Signal each process (and what it started), wait for them, SIGKILL the rest; how many ended."""
    targets: dict[int, psutil.Process] = {}
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            targets[proc.pid] = proc
            for child in proc.children(recursive=True):
                targets[child.pid] = child
    if not targets:
        return 0
    for proc in targets.values():
        with contextlib.suppress(psutil.Error):
            proc.send_signal(sig)
    _, alive = psutil.wait_procs(list(targets.values()), timeout=timeout)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=5)
    return len(targets)


def unmount_under(directory: Path) -> None:
    """Mounts an engine killed mid-run leaves under its exec root (network namespaces, shm)."""
    prefix = str(directory) + "/"
    with contextlib.suppress(OSError):
        points = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
        for point in sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True):
            subprocess.run(["umount", "-l", point], capture_output=True, check=False)  # noqa: S603, S607


def _younger_than(path: Path, seconds: float) -> bool:
    with contextlib.suppress(OSError):
        return time.time() - path.stat().st_mtime < seconds
    return False


def _dockerd_running() -> bool:
    """A live dockerd (a killed one may linger as a zombie until its new parent reaps it)."""
    return any(
        proc.info["name"] == "dockerd" and proc.info["status"] != psutil.STATUS_ZOMBIE
        for proc in psutil.process_iter(["name", "status"])
    )


def sweep_engines(root: Path | None = None) -> list[str]:
    """Remove every private engine directory whose owner is gone; what was removed, for the log."""
    removed: list[str] = []
    orphaned_bridges: set[str] = set()
    for work in sorted(Path(root or tempfile.gettempdir()).glob(WORK_PREFIX + "*")):
        record = EngineRecord.read(work)
        if record is not None and record.owner_alive():
            continue  # a running stack's engine (or tests' session engine)
        if record is None and (_younger_than(work, 60) or processes_mentioning(str(work))):
            # No record: an engine starting this moment, or an older run's that still runs (an
            # owner we cannot judge).
            log.warning("leaving %s alone: no record says who started it", work)
            continue
        procs = processes_mentioning(str(work))
        # dockerd first, gently: it stops its containers and its containerd itself
        dockerd = [p for p in procs if p.info["cmdline"] and Path(p.info["cmdline"][0]).name == "dockerd"]
        ended = end_processes(dockerd, timeout=15.0)
        ended += end_processes(processes_mentioning(str(work)), sig=signal.SIGKILL, timeout=5.0)
        unmount_under(work)
        shutil.rmtree(work, ignore_errors=True)
        orphaned_bridges.update(record.made_bridges if record else ["docker0"])
        removed.append(f"{work} ({ended} processes)")
    if not _dockerd_running():
        # No dockerd runs, so no bridge has an owner: the ones swept engines made, and any a killed
        # engine's record no longer names (a dockerd recreates its bridges when it starts).
        removed += [f"bridge {name}" for name in delete_bridges(sorted(orphaned_bridges | bridges()))]
    for what in removed:
        log.info("removed what an earlier run left behind: %s", what)
    return removed


def stale_sam_processes(build_root: Path) -> list[psutil.Process]:
    """`sam local start-api|start-lambda` serving a template under ``build_root`` (this
    checkout's .aws-sam): only call while holding the checkout's sam-dev lock, so none is live."""
    stale = []
    for proc in psutil.process_iter(["cmdline"]):
        args = proc.info["cmdline"] or []
        if "local" in args and ({"start-api", "start-lambda"} & set(args)) and "--template" in args:
            template = args[args.index("--template") + 1] if args.index("--template") + 1 < len(args) else ""
            if template.startswith(str(build_root) + "/"):
                stale.append(proc)
    return stale
