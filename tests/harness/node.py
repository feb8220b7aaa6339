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


def run_node_script(script: str, *args: str, stdin: str = "") -> str:
    """Runs ``node script args…`` from the repository root with ``stdin``; answers its stdout
    (skips the calling test when node is missing, fails it when the script fails)."""
    import shutil
    import subprocess

    import pytest

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: this test runs JavaScript under Node 20+")
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [node, script, *args], cwd=root, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout
