"""A client nobody here wrote (issue 12): openapi-python-client generates a Python client from the
/openapi.json the local gateway serves, with no warning, and that generated code drives the API:
create (presigned) -> upload -> ready -> list -> get -> analysis -> delete. The generator and the
client's httpx/attrs run in .venv-openapi-client (`make test` installs it; its own pins)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.harness.images import png

ROOT = Path(__file__).resolve().parents[3]
CLIENT_VENV = ROOT / ".venv-openapi-client" / "bin"
DRIVER = Path(__file__).with_name("generated_client_driver.py")
EXPECTED_MODULES = {
    "images": {
        "create_image",
        "list_images",
        "get_image",
        "update_image",
        "delete_image",
        "download_image",
        "get_image_analysis",
    },
    "predictions": {"create_prediction"},
    "compatibility": {"upload_image_compat", "analyse_image_compat", "list_images_compat"},
    "service": {"get_health", "get_openapi_document", "get_docs"},
}


@pytest.fixture(scope="module")
def generated(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    generator = CLIENT_VENV / "openapi-python-client"
    if not generator.exists():
        pytest.fail("openapi-python-client is not installed: run `make test` (or make .venv-openapi-client/.installed)")
    work = tmp_path_factory.mktemp("generated-client")
    served = requests.get(stack.api_url + "/openapi.json", timeout=30)
    assert served.status_code == 200
    (work / "openapi.json").write_text(served.text)
    (work / "config.yaml").write_text("post_hooks: []\n")  # no formatter run: only the generator speaks
    run = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            "openapi.json",
            "--meta",
            "none",
            "--output-path",
            "imageapi_client",
            "--config",
            "config.yaml",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    return work, output


def test_the_generator_emits_no_warning_and_names_operations_by_their_ids(generated: tuple[Path, str]) -> None:
    work, output = generated
    assert "warning" not in output.lower(), output
    api = work / "imageapi_client" / "api"
    for tag, modules in EXPECTED_MODULES.items():
        present = {p.stem for p in (api / tag).glob("*.py")} - {"__init__"}
        assert modules <= present, (tag, present)
    # Every generated module imports (the compat upload among them).
    check = (
        "import pkgutil, importlib, imageapi_client.api as a; [importlib.import_module(m.name) for m in "
        "pkgutil.walk_packages(a.__path__, 'imageapi_client.api.')]; print('ok')"
    )
    imported = subprocess.run(
        [str(CLIENT_VENV / "python"), "-c", check], cwd=work, capture_output=True, text=True, timeout=120, check=False
    )
    assert imported.stdout.strip() == "ok", imported.stderr


def test_the_generated_client_drives_create_upload_list_get_analysis_delete(
    generated: tuple[Path, str], stack: Any, tmp_path: Path
) -> None:
    work, _ = generated
    picture = tmp_path / "a.png"
    picture.write_bytes(png(64, 48))
    run = subprocess.run(
        [
            str(CLIENT_VENV / "python"),
            str(DRIVER),
            str(work),
            stack.api_url,
            stack.token("generated-client"),
            str(picture),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["create_status"] == 201 and seen["s3_status"] in (200, 201, 204)
    assert seen["status"] == "ready" and seen["size"] == [64, 48]
    assert seen["image_id"] in seen["listed"]
    assert seen["analysis"] == {"format": "PNG", "width": 64, "height": 48}
    assert seen["thumbnail_url"] and seen["thumbnail_fetch"] == 200  # embedded URL, usable without a token
    # The srcset: a 64 px image is offered once, at its own width, from the smallest edge width;
    # the CDN renders it on this first request in the format Accept allows.
    assert seen["srcset"] == [[64, "160"]]
    assert seen["srcset_fetch"] == [200, "image/avif", "Accept"]
    assert seen["delete_status"] == 204
    assert seen["after_delete_status"] == 404 and seen["after_delete_problem"]
