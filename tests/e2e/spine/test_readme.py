"""The README's curl walkthrough, run exactly as written against `python -m local` (what
`make dev` runs), so the documentation cannot drift from the product."""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[3]


def walkthrough() -> str:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- walkthrough:start -->\s*```bash\n(.*?)```\s*<!-- walkthrough:end -->", text, re.S)
    assert block, "README.md lost its walkthrough block"
    return block.group(1)


@pytest.fixture(scope="module")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> str:
    port, moto_port = free_port(), free_port()
    env = {**os.environ, "PORT": str(port), "MOTO_PORT": str(moto_port), "IMPORT_ALLOW_PRIVATE_NETWORKS": "true"}
    log = tmp_path_factory.mktemp("dev") / "dev.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    api = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        yield api
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="the walkthrough needs curl and jq")
def test_readme_walkthrough_runs_as_written(dev_stack: str) -> None:
    script = "set -euo pipefail\n" + walkthrough()
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env={**os.environ, "API": dev_stack},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    out = result.stdout
    assert '"status": "ready"' in out and '"width": 1600' in out
    assert '"Harbour at dusk"' in out
    assert '"title": "Harbour, small"' in out and '"width": 800' in out
    assert "thumbnail.jpg JPEG (256, 192)" in out and "small.webp WEBP (300, 200)" in out
    # The signed deliveries of the image's changes, verified with the official package, in order.
    verified = re.findall(r"^(evt_\w+) (image\.\w+) sequence (\d+) signature ok$", out, re.M)
    assert [(kind, int(n)) for _, kind, n in verified] == [
        ("image.created", 1), ("image.ready", 2), ("image.updated", 3),
        ("image.deleted", 4), ("image.restored", 5), ("image.purged", 6),
    ]  # fmt: skip
    assert len({webhook_id for webhook_id, _, _ in verified}) == 6
    assert '"status": "succeeded"' in out
    assert "204\n404\n" in out  # the permanent delete, then restore finds nothing
