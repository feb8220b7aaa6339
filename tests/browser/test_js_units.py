"""The page's pure JavaScript modules (blurhash, S3 XML errors, problems, form rules) under
`node --test`, so `make test` covers them too."""

import subprocess

import pytest

from .conftest import REPO_ROOT, node_binary


def test_node_unit_tests_pass():
    node = node_binary()
    if node is None:
        pytest.skip("node is not installed: the JavaScript unit tests need Node 18+ (`node --test`)")
    result = subprocess.run(
        [node, "--test", "tests/browser/js/"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
