"""The JavaScript unit tests under `node --test`."""

from __future__ import annotations

from pathlib import Path


def run_node_tests(folder: str) -> None:
    """Runs `node --test folder` from the repository root and fails the calling test on a failure."""
    import shutil
    import subprocess

    import pytest

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the JavaScript unit tests need Node 20+ (`node --test`)")
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [node, "--test", folder], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
