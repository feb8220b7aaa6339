"""The whole local stack as a container (Dockerfile, compose.yaml): built here on the locally
made base image (no network in the build: the wheels come from this machine's pip), started with
compose, an image uploaded through it and read back, and still there after `down` and `up`."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image

from local import REPO_ROOT
from local.containers.engine import CACHE_DIR
from local.containers.lambda_image import find_python312
from local.containers.samdev import LocalBuild, free_port
from tests.harness.http import Client
from tests.harness.images import jpeg

CONTEXT = ("Dockerfile", ".dockerignore", "docker", "template.yaml", "local", "layers", "functions", "web")


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)", line.strip())
        if match:
            pins[match.group(1).lower()] = match.group(3)
    return pins


def test_image_requirements_pin_what_make_dev_uses() -> None:
    dev = _pins(REPO_ROOT / "requirements-dev.txt")
    image = _pins(REPO_ROOT / "docker" / "requirements.txt")
    assert image and all(dev.get(name) == version for name, version in image.items()), (image, dev)


def compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode == 0:
        return ["docker", "compose"]
    pytest.fail("neither `docker compose` nor `docker-compose` is installed (make containers installs it)")


def wheelhouse() -> Path:
    """Every wheel the image installs, for CPython 3.12 on this machine, cached by requirements."""
    files = [REPO_ROOT / "docker" / n for n in ("requirements.txt", "requirements-nodeps.txt")]
    files += [REPO_ROOT / "layers" / n / "requirements.txt" for n in ("core", "pillow")]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:12]
    wheels = CACHE_DIR / f"wheels-{digest}"
    if not (wheels / ".complete").exists():
        wheels.mkdir(parents=True, exist_ok=True)
        python = str(find_python312() / "python3.12")
        pip = [python, "-m", "pip", "--disable-pip-version-check", "-q"]
        docker_dir = REPO_ROOT / "docker"
        subprocess.run([*pip, "wheel", "-w", str(wheels), "-r", "requirements.txt"], cwd=docker_dir, check=True)
        subprocess.run(
            [*pip, "download", "--no-deps", "-d", str(wheels), "-r", "requirements-nodeps.txt"],
            cwd=docker_dir,
            check=True,
        )
        (wheels / ".complete").touch()
    return wheels


@pytest.fixture(scope="module")
def stack_image(local_build: LocalBuild, tmp_path_factory: pytest.TempPathFactory) -> str:
    context = tmp_path_factory.mktemp("context")
    for name in CONTEXT:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, context / name, ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
        else:
            shutil.copy2(source, context / name)
    shutil.copytree(wheelhouse(), context / "docker" / "wheels")
    tag = "serverless-image-api/local-stack:test"
    local_build.engine.docker(
        "build",
        "--tag",
        tag,
        "--build-arg",
        f"BASE_IMAGE={local_build.image}",
        "--build-arg",
        "PIP_OPTIONS=--no-index --find-links /app/docker/wheels",
        str(context),
        timeout=900,
    )
    return tag


class Compose:
    def __init__(self, build: LocalBuild, image: str) -> None:
        self.port, self.moto_port = free_port(), free_port()
        self.project = f"sia-test-{uuid.uuid4().hex[:8]}"
        self.env = {
            **build.engine.env,
            "LOCAL_STACK_IMAGE": image,
            "PORT": str(self.port),
            "MOTO_PORT": str(self.moto_port),
        }
        self.url = f"http://127.0.0.1:{self.port}"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*compose_command(), "-p", self.project, "-f", str(REPO_ROOT / "compose.yaml"), *args],
            env=self.env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )

    def up(self) -> None:
        self.run("up", "-d", "--no-build")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise AssertionError(f"the stack did not answer:\n{self.run('logs').stdout[-4000:]}")


@pytest.fixture
def compose(local_build: LocalBuild, stack_image: str) -> Iterator[Compose]:
    stack = Compose(local_build, stack_image)
    try:
        yield stack
    finally:
        stack.run("down", "-v", "--timeout", "30")  # the volume too: nothing left behind


def test_compose_serves_the_page_and_keeps_an_upload_across_a_restart(compose: Compose) -> None:
    compose.up()
    page = requests.get(compose.url + "/", timeout=10)
    assert page.status_code == 200 and "<html" in page.text.lower()

    token = requests.get(compose.url + "/_local/token", params={"sub": "compose"}, timeout=10).json()["token"]
    client = Client(compose.url, token)
    data = jpeg(640, 480)
    created, s3 = client.presigned_upload("Through compose", data, "image/jpeg")
    assert created.status_code == 201, created.text
    assert created.json()["upload"]["url"].startswith(f"http://127.0.0.1:{compose.moto_port}")
    assert s3 is not None and s3.status_code == 204, s3.text if s3 is not None else None
    image_id = created.json()["image"]["id"]
    assert client.wait_for(image_id, timeout=120)["status"] == "ready"

    def read_back() -> bytes:
        download = client.request("GET", f"/images/{image_id}/download")
        assert download.status_code == 302, download.text
        got = requests.get(download.headers["location"], timeout=30)
        assert got.status_code == 200, got.text
        return got.content

    original = read_back()
    assert Image.open(io.BytesIO(original)).size == (640, 480)

    # `down` removes the container; the named volume keeps the key and the data
    compose.run("down", "--timeout", "30")
    compose.up()
    assert client.request("GET", f"/images/{image_id}").json()["status"] == "ready"
    assert read_back() == original
    listed = client.request("GET", "/images").json()["items"]
    assert [item["id"] for item in listed] == [image_id]


def test_the_image_runs_as_an_unprivileged_user(local_build: LocalBuild, stack_image: str) -> None:
    user = local_build.engine.docker("run", "--rm", "--entrypoint", "id", stack_image, "-u").stdout.strip()
    assert user != "0", user
