"""The web page's cloud sign-in module (web/auth/pkce.js) under `node --test tests/template/js`."""

import shutil
import subprocess

import pytest

from .conftest import REPO_ROOT


def test_sign_in_module_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the sign-in module's tests need Node 20+ (`node --test`)")
    result = subprocess.run(
        [node, "--test", "tests/template/js"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
