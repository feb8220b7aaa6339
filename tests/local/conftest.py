"""One local stack per test session, on free ports, built from tests/local/fixtures/template.yaml
with test handlers (the real handlers are tested elsewhere)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from local.stack import LocalStack  # noqa: E402

TEST_PREFIX = "local-test"


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with LocalStack(
        root=FIXTURES, state_dir=tmp_path_factory.mktemp("state"), name_prefix=TEST_PREFIX, visibility_timeout=1
    ) as running:
        yield running


@pytest.fixture(scope="package")
def s3(stack: LocalStack):
    from local.aws import client

    return client("s3", stack.aws_url)


@pytest.fixture(scope="package")
def sqs(stack: LocalStack):
    from local.aws import client

    return client("sqs", stack.aws_url)
