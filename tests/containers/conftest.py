"""The built artifacts (`sam build`) in Lambda containers: the Docker engine this machine has, or
a private one started for the session (root only), the Lambda base image (pulled or built here),
and the build for this machine's architecture. Shared by every test of this package."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.containers.engine import DockerEngine, EngineUnavailable
from local.containers.samdev import LocalBuild, SamDev, prepare


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything here starts containers; the first test builds images, which may take minutes.
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.containers)
            item.add_marker(pytest.mark.timeout(900))
    # The stop tests run `make sam-dev`, which starts a private engine on the shared data root:
    # they go first, before the session's engine (below) holds it.
    first = [item for item in items if Path(str(item.fspath)) == here / "test_sam_dev_stop.py"]
    items[:] = first + [item for item in items if item not in first]


@pytest.fixture(scope="session")
def engine() -> Iterator[DockerEngine]:
    try:
        found = DockerEngine.acquire()
    except EngineUnavailable as exc:
        if os.geteuid() == 0:
            raise  # as root an engine can always be had (make test installs docker.io): a real failure
        pytest.skip(f"no Docker engine: {exc}")
    yield found
    found.stop()  # only a private engine: one we found is left running


@pytest.fixture(scope="session")
def local_build(engine: DockerEngine) -> LocalBuild:
    return prepare(engine)


@pytest.fixture(scope="session")
def sam_dev(local_build: LocalBuild, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamDev]:
    with SamDev(build=local_build, state_dir=tmp_path_factory.mktemp("samdev")) as dev:
        yield dev
