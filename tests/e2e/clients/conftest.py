"""The clients suite (SDK and `imageapi` command, issue 22): the command runs as a subprocess, as a
user runs it, against a local stack of its own per module (tests/harness/stack.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.clients.helpers import AwsState, write_photos
from tests.harness.stack import local_stack

# Small enough that an "over the limit" photo costs little to make; large enough for the rest.
UPLOAD_LIMIT = 32 * 1024


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    name = "clients-" + Path(str(request.module.__file__)).stem.removeprefix("test_").replace("_", "-")
    overrides = {"MaxUploadBytes": str(UPLOAD_LIMIT)}
    with local_stack(tmp_path_factory.mktemp("local-state"), name, overrides=overrides) as running:
        yield running


@pytest.fixture(scope="module")
def aws(stack: Any) -> AwsState:
    return AwsState(stack)


@pytest.fixture(scope="session")
def two_hundred_photos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """200 distinct small JPEGs, made once a session (about 0.2 s); tests copy them where they need them."""
    return write_photos(tmp_path_factory.mktemp("photos"), 200)
