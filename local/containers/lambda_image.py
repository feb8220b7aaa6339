"""The Python 3.12 Lambda base image that `sam local --invoke-image` runs the functions in.

Where the public image (public.ecr.aws/lambda/python:3.12) is already in the engine, or the
machine's own engine can pull it, that image is used. Otherwise (no registry reachable, or a
private engine, which never contacts one) a compatible image is built here:

- a Debian root filesystem from `debootstrap` (minbase plus the shared libraries Python's own
  modules link to: without libssl3, `import ssl` fails in the container);
- this machine's CPython 3.12 (pyenv's, the one `sam build` uses) copied to /var/lang;
- `awslambdaric` (the runtime interface client the managed runtime uses) and boto3, which the
  managed runtime ships, in /var/runtime;
- /var/runtime/bootstrap, which the runtime interface emulator that `sam local` adds starts: it
  sets the managed runtime's module path (/var/task, then the layers under /opt, then
  /var/runtime) and runs `python -m awslambdaric <handler>`.

The image is tagged by a hash of this recipe and kept in the engine; the finished root
filesystem is also kept as a tarball in the cache directory, so a new engine only imports it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .. import REPO_ROOT
from .engine import CACHE_DIR, DockerEngine

log = logging.getLogger("local.containers.lambda_image")

PUBLIC_IMAGE = "public.ecr.aws/lambda/python:3.12"
IMAGE_REPOSITORY = "serverless-image-api/lambda-python"
SUITE = "bookworm"
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
# What CPython's extension modules and the wheels' manylinux policy expect from the system.
PACKAGES = (
    "ca-certificates",
    "libbz2-1.0",
    "libexpat1",
    "libffi8",
    "libgcc-s1",
    "libgdbm6",
    "liblzma5",
    "libncursesw6",
    "libreadline8",
    "libsqlite3-0",
    "libssl3",
    "libstdc++6",
    "libtinfo6",
    "libuuid1",
    "tzdata",
    "zlib1g",
)
# pip too, as in the public image: an image built FROM this one installs with it (Dockerfile).
PIP = "pip==24.3.1"
RUNTIME_PACKAGES = ("awslambdaric==4.2.2", "simplejson==3.20.1", "snapshot-restore-py==1.0.0", "boto3==1.44.5")
# Not needed to run functions; saves ~200 MB per image.
PYTHON_EXCLUDES = ("test", "idlelib", "tkinter", "turtledemo", "ensurepip", "site-packages", "config-3.12-*")
LD_LIBRARY_PATH = "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"
BOOTSTRAP = "\n".join(
    [
        "#!/bin/sh",
        "# Started by the runtime interface emulator, as Lambda's python3.12 runtime starts its client:",
        "# the function's code first, then the layers' packages, then the runtime's own (boto3).",
        'export PYTHONPATH="/var/task:/opt/python/lib/python3.12/site-packages:/opt/python:/var/runtime"',
        f'export LD_LIBRARY_PATH="{LD_LIBRARY_PATH}"',
        'export PATH="/var/lang/bin:/usr/local/bin:/usr/bin:/bin:/opt/bin"',
        'cd "${LAMBDA_TASK_ROOT:-/var/task}"',
        'exec /var/lang/bin/python3.12 -m awslambdaric "${_HANDLER:-$AWS_LAMBDA_FUNCTION_HANDLER}"',
        "",
    ]
)
IMAGE_CHANGES = (
    "ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin:/bin:/opt/bin",
    f"ENV LD_LIBRARY_PATH={LD_LIBRARY_PATH}",
    "ENV LANG=C.UTF-8",
    "ENV TZ=:/etc/localtime",
    "ENV LAMBDA_TASK_ROOT=/var/task",
    "ENV LAMBDA_RUNTIME_DIR=/var/runtime",
    "WORKDIR /var/task",
    'ENTRYPOINT ["/var/runtime/bootstrap"]',
)


def find_python312() -> Path:
    """The directory of this machine's python3.12 (scripts/find-python312.sh: what sam build uses)."""
    out = subprocess.run(  # noqa: S603
        [str(REPO_ROOT / "scripts" / "find-python312.sh")], capture_output=True, text=True, check=True
    )
    return Path(out.stdout.strip())


def python_home(bin_dir: Path) -> Path:
    home = bin_dir.parent
    if not (home / "lib" / "python3.12" / "os.py").exists():
        raise RuntimeError(f"{home} is not a CPython 3.12 installation (no lib/python3.12/os.py)")
    return home


def recipe(architecture: str, python_dir: Path) -> dict[str, object]:
    version = subprocess.run(  # noqa: S603
        [str(python_dir / "python3.12"), "-c", "import sys; print(sys.version)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return {
        "suite": SUITE,
        "packages": PACKAGES,
        "runtime": RUNTIME_PACKAGES,
        "pip": PIP,
        "python": version,
        "excludes": PYTHON_EXCLUDES,
        "bootstrap": BOOTSTRAP,
        "changes": IMAGE_CHANGES,
        "architecture": architecture,
        "format": 2,
    }


def image_tag(architecture: str, python_dir: Path) -> str:
    digest = hashlib.sha256(json.dumps(recipe(architecture, python_dir), sort_keys=True).encode()).hexdigest()
    return f"{IMAGE_REPOSITORY}:3.12-{architecture}-{digest[:12]}"


def _has_image(engine: DockerEngine, ref: str) -> bool:
    return engine.docker("image", "inspect", ref, check=False, timeout=60).returncode == 0


def ensure_base_image(engine: DockerEngine, *, allow_pull: bool | None = None) -> str:
    """The image to pass to `sam local ... --invoke-image`: LAMBDA_BASE_IMAGE if set, the public
    image when present or pullable, else the locally built one (built once per recipe)."""
    if os.environ.get("LAMBDA_BASE_IMAGE"):
        return os.environ["LAMBDA_BASE_IMAGE"]
    if _has_image(engine, PUBLIC_IMAGE):
        return PUBLIC_IMAGE
    # A private engine has no registry access by design; the machine's own engine may.
    if allow_pull is None:
        allow_pull = not engine.private and os.environ.get("LAMBDA_BASE_IMAGE_PULL", "true") != "false"
    if allow_pull:
        try:
            if engine.docker("pull", PUBLIC_IMAGE, check=False, timeout=180).returncode == 0:
                return PUBLIC_IMAGE
        except subprocess.TimeoutExpired:
            log.warning("pulling %s timed out; building a compatible image", PUBLIC_IMAGE)
    architecture = engine.architecture()
    host = "arm64" if os.uname().machine in ("arm64", "aarch64") else "x86_64"
    if architecture != host:
        raise RuntimeError(f"the engine runs {architecture} but this machine's Python is {host}: set LAMBDA_BASE_IMAGE")
    python_dir = find_python312()
    tag = image_tag(architecture, python_dir)
    if _has_image(engine, tag):
        return tag
    tarball = CACHE_DIR / f"{tag.split(':', 1)[1]}.rootfs.tar"
    if not tarball.exists():
        build_rootfs(tarball, architecture, python_dir)
    log.info("importing %s as %s", tarball, tag)
    engine.docker("import", *(a for c in IMAGE_CHANGES for a in ("--change", c)), str(tarball), tag, timeout=600)
    # Earlier recipes' images: untagged (an image still in use by another stays until it is not).
    listed = engine.docker("images", IMAGE_REPOSITORY, "--format", "{{.Repository}}:{{.Tag}}", check=False).stdout
    stale = [ref for ref in listed.split() if ref != tag and f":3.12-{architecture}-" in ref]
    if stale:
        engine.docker("rmi", *stale, check=False)
    return tag


def build_rootfs(tarball: Path, architecture: str, python_dir: Path) -> None:
    if os.geteuid() != 0:
        raise RuntimeError("building the Lambda base image needs root (debootstrap); or set LAMBDA_BASE_IMAGE")
    debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
    if not Path(debootstrap).exists():
        raise RuntimeError("debootstrap is not installed (apt-get install debootstrap)")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="sia-rootfs-", dir=tarball.parent))
    try:
        root = work / "rootfs"
        deb_arch = "arm64" if architecture == "arm64" else "amd64"
        log.info("debootstrap %s (%s) from %s", SUITE, deb_arch, MIRROR)
        subprocess.run(  # noqa: S603
            [
                debootstrap,
                "--variant=minbase",
                f"--arch={deb_arch}",
                f"--include={','.join(PACKAGES)}",
                SUITE,
                str(root),
                MIRROR,
            ],
            check=True,
            capture_output=True,
        )
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/info"):
            shutil.rmtree(root / junk, ignore_errors=True)
        home = python_home(python_dir)
        shutil.copytree(
            home,
            root / "var" / "lang",
            symlinks=True,
            ignore=lambda d, names: _python_ignored(home, Path(d), names),
        )
        (root / "var/lang/lib/python3.12/site-packages").mkdir(exist_ok=True)
        runtime = root / "var" / "runtime"
        runtime.mkdir(parents=True, exist_ok=True)
        platform = "manylinux2014_aarch64" if architecture == "arm64" else "manylinux2014_x86_64"
        subprocess.run(  # noqa: S603
            [
                sys.executable,  # --platform/--python-version: any interpreter with pip installs for 3.12
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-compile",
                "--only-binary=:all:",
                "--platform",
                platform,
                "--python-version",
                "3.12",
                "--implementation",
                "cp",
                "--target",
                str(runtime),
                *RUNTIME_PACKAGES,
            ],
            check=True,
            capture_output=True,
        )
        site = root / "var/lang/lib/python3.12/site-packages"
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "pip", "install", "-q", "--no-compile", "--no-deps", "--target", str(site), PIP],
            check=True,
            capture_output=True,
        )
        bootstrap = runtime / "bootstrap"
        bootstrap.write_text(BOOTSTRAP)
        bootstrap.chmod(0o755)
        for path in ("var/task", "opt", "tmp"):
            (root / path).mkdir(parents=True, exist_ok=True)
        (root / "tmp").chmod(0o1777)
        partial = tarball.with_suffix(".partial")
        subprocess.run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(partial), "."], check=True)  # noqa: S603, S607
        partial.replace(tarball)
        for stale in tarball.parent.glob(f"3.12-{architecture}-*.rootfs.tar"):  # earlier recipes
            if stale != tarball:
                stale.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _python_ignored(home: Path, directory: Path, names: list[str]) -> set[str]:
    if directory == home:
        return {"include", "share"} & set(names)
    if directory == home / "lib":
        return {n for n in names if n.endswith(".a") or n == "pkgconfig"}
    if directory == home / "lib" / "python3.12":
        return {n for n in names if any(Path(n).match(pattern) for pattern in PYTHON_EXCLUDES)}
    return set()
