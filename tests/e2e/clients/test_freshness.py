"""The generated client's freshness check (scripts/gen_client.py --check, in `make test`): it
regenerates from the OpenAPI document with the pinned generator (a process of its own, hence this
suite) and fails when the committed code no longer matches, as when a branch adds a field."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_the_freshness_check_fails_when_the_document_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = ROOT / "scripts" / "gen_client.py"
    spec = importlib.util.spec_from_file_location("gen_client", script)
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    if not (gen.GENERATOR_BIN / "openapi-python-client").exists():
        pytest.fail("the generator is not installed: make .venv-openapi-client/.installed")
    document = json.loads(gen.DOCUMENT.read_text())
    document["components"]["schemas"]["ImageOut"]["properties"]["srcset"] = {
        "type": "array",
        "items": {"type": "string"},
    }
    changed = tmp_path / "openapi.json"
    changed.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    monkeypatch.setattr(gen, "DOCUMENT", changed)
    monkeypatch.setattr("sys.argv", ["gen_client.py", "--check"])
    assert gen.main() == 1
