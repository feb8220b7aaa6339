"""A client nobody here wrote (issues 12 and 22): the committed client of clients/python, which
openapi-python-client generated from the OpenAPI document with no warning (scripts/gen_client.py
fails on one; `make client` regenerates it), is the one for the document this stack serves, names
operations by their ids, imports whole, and drives the API: create (presigned) -> upload -> ready ->
list -> get -> analysis -> delete."""

from __future__ import annotations

import hashlib
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

import imageapi_client.generated.api as generated_api
from imageapi_client.openapi_source import OPENAPI_SHA256
from tests.e2e.spine.generated_client_driver import drive
from tests.harness.images import png

ROOT = Path(__file__).resolve().parents[3]
DOCUMENT = ROOT / "layers" / "core" / "imageapi" / "openapi.json"
EXPECTED_MODULES = {
    "images": {
        "create_image",
        "list_images",
        "get_image",
        "update_image",
        "delete_image",
        "restore_image",
        "download_image",
        "get_image_analysis",
    },
    "predictions": {"create_prediction"},
    "compatibility": {"upload_image_compat", "analyse_image_compat", "list_images_compat"},
    "service": {"get_health", "get_openapi_document", "get_docs"},
}


def test_the_committed_client_is_generated_from_the_served_document_without_warning(stack: Any) -> None:
    served = requests.get(stack.api_url + "/openapi.json", timeout=30)
    assert served.status_code == 200
    assert served.json() == json.loads(DOCUMENT.read_text())
    assert hashlib.sha256(DOCUMENT.read_bytes()).hexdigest() == OPENAPI_SHA256
    # Regenerates into a temporary folder and compares; fails on any generator warning too.
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_client.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert check.returncode == 0, check.stderr[-3000:]


def test_the_generated_client_names_operations_by_their_ids_and_imports_whole() -> None:
    api = Path(generated_api.__file__).parent
    for tag, modules in EXPECTED_MODULES.items():
        present = {p.stem for p in (api / tag).glob("*.py")} - {"__init__"}
        assert modules <= present, (tag, present)
    imported = [
        importlib.import_module(m.name)
        for m in pkgutil.walk_packages(generated_api.__path__, "imageapi_client.generated.api.")
    ]
    assert len(imported) >= 4 + sum(len(m) for m in EXPECTED_MODULES.values())


def test_the_generated_client_drives_create_upload_list_get_analysis_delete(stack: Any, tmp_path: Path) -> None:
    picture = tmp_path / "a.png"
    picture.write_bytes(png(64, 48))
    seen = drive(stack.api_url, stack.token("generated-client"), picture)
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
