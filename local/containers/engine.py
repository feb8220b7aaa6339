"""A Docker engine for `sam local` and the container tests: the machine's own, or a private one.

Order: an engine reachable through DOCKER_HOST or /var/run/docker.sock is used as it is. Where
there is none and we run as root with Debian's `dockerd` installed, a private engine is started
for this process: its own unix socket, data root, exec root and pidfile, `--iptables=false
--ip-masq=false --ip-forward=false --dns 127.0.0.1` (containers get no route out: no NAT, no
forwarding, no resolver; nothing added to the host's firewall) and
the default bridge kept (sam local publishes the RIE port on loopback; containers reach the host
at the bridge's gateway address). `stop()` removes every container in it, ends it by its pid,
waits until it is gone and deletes the bridges it made. dockerd gets SIGTERM when the process
that started it dies, even by SIGKILL (local/processes.py), and then stops its containers itself;
the next start removes what such a run left (local/containers/leftovers.py).

    with DockerEngine.acquire() as engine:
        subprocess.run(["docker", "ps"], env=engine.env)
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from ..processes import spawn
from .leftovers import (
    EngineRecord,
    bridges,
    delete_bridges,
    end_processes,
    processes_mentioning,
    sweep_engines,
    unmount_under,
)

log = logging.getLogger("local.containers.engine")

CACHE_DIR = Path(os.environ.get("SIA_CACHE_DIR") or Path.home() / ".cache" / "serverless-image-api")
DEFAULT_SOCKET = "/var/run/docker.sock"
# How long dockerd gives a container to stop on SIGTERM before SIGKILL when it shuts down (its own
# default is 15 s): a Lambda container holds nothing worth waiting for.
SHUTDOWN_TIMEOUT_S = 2


class EngineUnavailable(RuntimeError):
    """No engine is reachable and none can be started here (the reason says why)."""


def docker_cli() -> str:
    path = shutil.which("docker")
    if not path:
        raise EngineUnavailable("the docker command-line client is not installed")
    return path


def _reachable(docker_host: str, timeout: float = 10.0) -> bool:
    env = {**os.environ, "DOCKER_HOST": docker_host}
    try:
        result = subprocess.run(  # noqa: S603
            [docker_cli(), "version", "--format", "{{.Server.Version}}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (subprocess.TimeoutExpired, OSError):
        return False
    return result.returncode == 0 and bool(result.stdout.strip())


class DockerEngine:
    def __init__(self, docker_host: str, *, private: bool, pid: int | None = None, work: Path | None = None) -> None:
        self.docker_host = docker_host
        self.private = private
        self.pid = pid
        self._work = work
        self._lock: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._bridges_before: set[str] = set()

    # ------------------------------------------------------------ finding or starting one

    @classmethod
    def acquire(cls, start_timeout: float = 60.0) -> DockerEngine:
        """The environment's engine, else a private one (root only), else EngineUnavailable."""
        docker_cli()
        configured = os.environ.get("DOCKER_HOST")
        if configured:
            if _reachable(configured):
                return cls(configured, private=False)
            raise EngineUnavailable(f"DOCKER_HOST={configured} is set but no engine answers there")
        if Path(DEFAULT_SOCKET).exists() and _reachable(f"unix://{DEFAULT_SOCKET}"):
            return cls(f"unix://{DEFAULT_SOCKET}", private=False)
        return cls.start_private(start_timeout)

    @classmethod
    def start_private(cls, start_timeout: float = 60.0) -> DockerEngine:
        dockerd = shutil.which("dockerd") or ("/usr/sbin/dockerd" if Path("/usr/sbin/dockerd").exists() else None)
        if os.geteuid() != 0:
            raise EngineUnavailable("no Docker engine is reachable and a private one needs root")
        if not dockerd:
            raise EngineUnavailable(
                "no Docker engine is reachable and dockerd is not installed (apt-get install docker.io)"
            )
        # What an earlier run left (its engine, exec root, pidfile, socket, bridge) goes first.
        sweep_engines()
        # The data root persists (cached images: the Lambda base image, SAM's RIE images) unless
        # another private engine of ours holds it; exec root, socket and pidfile are per run.
        # Short /tmp path: a unix socket path must stay under 108 bytes.
        work = Path(tempfile.mkdtemp(prefix="sia-dockerd-", dir="/tmp"))
        before = bridges()
        EngineRecord.for_this_process().write(work)
        data_root = CACHE_DIR / "docker"
        data_root.mkdir(parents=True, exist_ok=True)
        fd = os.open(CACHE_DIR / "docker.lock", os.O_CREAT | os.O_RDWR, 0o600)
        lock: int | None = fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            lock = None
            data_root = work / "data"  # another engine of ours runs: no shared cache this time
        socket = work / "docker.sock"
        args = [
            dockerd,
            "--host",
            f"unix://{socket}",
            "--data-root",
            str(data_root),
            "--exec-root",
            str(work / "exec"),
            "--pidfile",
            str(work / "dockerd.pid"),
            "--storage-driver",
            "overlay2",
            "--iptables=false",
            "--ip-masq=false",
            "--ip6tables=false",
            # Nothing a container sends is routed off this machine, and its DNS goes to its own
            # loopback (nothing there): a URL import to a public name fails without any traffic.
            "--ip-forward=false",
            "--dns",
            "127.0.0.1",
            "--shutdown-timeout",
            str(SHUTDOWN_TIMEOUT_S),
            "--log-level",
            "warn",
        ]
        with open(work / "dockerd.log", "wb") as out:
            # own session: a Ctrl-C meant for the caller must not kill the engine before its
            # containers; SIGTERM when the caller dies, however it dies
            proc = spawn(args, death_signal=signal.SIGTERM, stdout=out, stderr=subprocess.STDOUT)
        engine = cls(f"unix://{socket}", private=True, pid=proc.pid, work=work)
        engine._bridges_before = before
        engine._lock = lock
        engine._proc = proc
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = (work / "dockerd.log").read_text(errors="replace")[-2000:]
                engine._cleanup()
                raise EngineUnavailable(f"dockerd exited with {proc.returncode}: {tail}")
            if socket.exists() and _reachable(engine.docker_host, timeout=5):
                log.info("started a private dockerd (pid %s) on %s", proc.pid, socket)
                # the record names the bridges it made, for a next start after a hard kill
                EngineRecord.for_this_process(bridges() - before).write(work)
                engine._remove_leftover_containers()
                return engine
            time.sleep(0.3)
        engine.stop()
        raise EngineUnavailable(f"dockerd did not answer within {start_timeout:.0f} s")

    # ------------------------------------------------------------ what callers use

    @property
    def env(self) -> dict[str, str]:
        """os.environ with DOCKER_HOST naming this engine and the classic builder (no buildx here)."""
        return {**os.environ, "DOCKER_HOST": self.docker_host, "DOCKER_BUILDKIT": "0"}

    def docker(
        self, *args: str, timeout: float = 600, check: bool = True, **kwargs: Any
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(  # noqa: S603
            [docker_cli(), *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args[:3])} failed ({result.returncode}):\n{result.stderr[-3000:]}")
        return result

    def bridge_gateway(self) -> str:
        """The host's address on the default bridge: what containers use to reach the host."""
        out = self.docker("network", "inspect", "bridge").stdout
        for config in json.loads(out)[0]["IPAM"]["Config"]:
            if config.get("Gateway"):
                return str(config["Gateway"])
            if config.get("Subnet"):  # older engines leave the default gateway implicit: the first host
                return str(next(ipaddress.ip_network(config["Subnet"]).hosts()))
        raise EngineUnavailable("the default bridge network has no gateway address")

    def architecture(self) -> str:
        """The engine's CPU as Lambda names it (x86_64 or arm64)."""
        machine = self.docker("version", "--format", "{{.Server.Arch}}").stdout.strip()
        return "arm64" if machine in ("arm64", "aarch64") else "x86_64"

    def containers(self, *filters: str) -> list[str]:
        """Ids of every container (running or not) that matches all ``filters`` (`docker ps --filter`)."""
        args = [arg for f in filters for arg in ("--filter", f)]
        return self.docker("ps", "-aq", "--no-trunc", *args, check=False, timeout=60).stdout.split()

    def remove(self, ids: list[str]) -> None:
        if ids:
            self.docker("rm", "--force", "--volumes", *ids, check=False, timeout=120)

    def remove_containers(self, label: str) -> None:
        self.remove(self.containers(f"label={label}"))

    def _remove_leftover_containers(self) -> None:
        """A private engine starts with none running: what its data root still holds is an
        earlier run's (killed before it could remove them), and so are unused networks."""
        if self._lock is None:
            return  # a throwaway data root: nothing earlier in it
        leftovers = self.containers()
        if leftovers:
            log.info("removing %d containers an earlier run left in the private engine", len(leftovers))
            self.remove(leftovers)
        self.docker("network", "prune", "--force", check=False, timeout=60)

    def stop(self, timeout: float = 20.0) -> None:
        """Stop a private engine (by its pid) and wait for it; an engine we found is left alone.
        Every container in a private engine is this process's: all are removed first."""
        if not self.private or self.pid is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            self.remove(self.containers())
        proc = self._proc
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        try:
            if proc is not None:
                proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("dockerd %s did not stop in %.0f s; killing it", self.pid, timeout)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            if proc is not None:
                proc.wait(timeout=10)
        self.pid = None
        # dockerd leaves its bridges behind (docker0, br-<id>); remove the ones this engine made
        delete_bridges(sorted(bridges() - self._bridges_before))
        self._cleanup()

    def _cleanup(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
        if self._work is not None:
            # a dockerd that had to be killed leaves its containerd's shims: nothing may outlive it
            end_processes(processes_mentioning(str(self._work)), sig=signal.SIGKILL, timeout=5.0)
            # the exec root may hold mounts for a moment after dockerd exits; data under it is per run
            unmount_under(self._work)
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None

    def __enter__(self) -> DockerEngine:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
