"""Shared fixtures of the template tests: the template as SAM and as translated CloudFormation."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SAM_PYTHON = REPO_ROOT / ".venv-sam" / "bin" / "python"


def _cfn_yaml(path: Path) -> dict[str, Any]:
    """YAML with CloudFormation short tags, read as their long form (the local stack's loader)."""
    from local.template import load_yaml

    return load_yaml(path)


@pytest.fixture(scope="session")
def sam_template() -> dict[str, Any]:
    return _cfn_yaml(REPO_ROOT / "template.yaml")


@pytest.fixture(scope="session")
def web_template() -> dict[str, Any]:
    return _cfn_yaml(REPO_ROOT / "infra" / "web-hosting.yaml")


@pytest.fixture(scope="session")
def translated() -> dict[str, Any]:
    """template.yaml as the CloudFormation SAM makes of it (scripts/translate_template.py in .venv-sam,
    where aws-sam-translator lives next to the SAM CLI)."""
    if not SAM_PYTHON.exists():
        pytest.skip("the SAM CLI virtual environment is missing: run `make check-template` (or `make test`)")
    result = subprocess.run(
        [str(SAM_PYTHON), "scripts/translate_template.py"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)
