"""What a cold start loads (issue #21): each HTTP function's handler module, loaded in a fresh
interpreter, imports neither the rest of Powertools' event handler package (AppSync, Bedrock, VPC
Lattice resolvers: ``imageapi.http.lean_imports``) nor the wiring the first request may not need
(rate limits, the trash, rendition signing, multipart parsing, Secrets Manager). The figures are
in ``make bench`` (cold start); these tests keep the imports from creeping back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.handlers import modules_after_cold_load

ROOT = Path(__file__).resolve().parents[2]
HTTP_FUNCTIONS = sorted(
    p.parent.name for p in (ROOT / "functions").glob("*/app.py") if "build_resolver" in p.read_text(encoding="utf-8")
)
# Loaded lazily by imageapi.context, on the first call that needs them.
LAZY = (
    "aws_lambda_powertools.event_handler.appsync",
    "aws_lambda_powertools.event_handler.bedrock_agent",
    "aws_lambda_powertools.event_handler.vpc_lattice",
    "imageapi.adapters.dynamodb.ratelimit",
    "imageapi.adapters.dynamodb.trash",
    "imageapi.adapters.s3_versions",
    "imageapi.adapters.signing",
    "imageapi.adapters.cursor_keys",
    "imageapi.http.multipart",
    "python_multipart",
    "cryptography",
)


def _loaded_after(script: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "core"), str(ROOT)])}
    env["POWERTOOLS_TRACE_DISABLED"] = "true"
    result = subprocess.run(
        [sys.executable, "-c", script + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=ROOT,
    )
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


def test_the_http_functions_are_found() -> None:
    assert {"list", "image", "upload", "meta", "compat", "analyse"} <= set(HTTP_FUNCTIONS)


@pytest.mark.parametrize("function", HTTP_FUNCTIONS)
def test_loading_a_handler_leaves_the_lazy_parts_unloaded(function: str) -> None:
    loaded = modules_after_cold_load(function)
    assert "aws_lambda_powertools.event_handler.api_gateway" in loaded  # the one resolver it runs
    early = [name for name in LAZY if any(m == name or m.startswith(name + ".") for m in loaded)]
    assert early == []


def test_the_deferred_package_still_answers_every_name() -> None:
    """Code that imports another resolver from the package still gets it (the real __init__ runs)."""
    loaded = _loaded_after(
        "import imageapi.http\n"
        "import aws_lambda_powertools.event_handler as package\n"
        "from aws_lambda_powertools.event_handler.api_gateway import APIGatewayHttpResolver as direct\n"
        "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response\n"
        "assert APIGatewayHttpResolver is direct\n"
        "assert 'aws_lambda_powertools.event_handler.appsync' not in __import__('sys').modules\n"
        "from aws_lambda_powertools.event_handler import AppSyncResolver, VPCLatticeResolver\n"
        "from aws_lambda_powertools.event_handler.appsync import AppSyncResolver as real\n"
        "assert AppSyncResolver is real and package.AppSyncResolver is real\n"
        "assert sorted(package.__all__) == sorted(n for n in package.__all__ if hasattr(package, n))\n"
    )
    assert "aws_lambda_powertools.event_handler.appsync" in loaded


def test_deferring_after_the_package_was_imported_changes_nothing() -> None:
    _loaded_after(
        "import aws_lambda_powertools.event_handler as before\n"
        "from imageapi.http.lean_imports import defer_event_handler_package\n"
        "assert defer_event_handler_package() is False\n"
        "import aws_lambda_powertools.event_handler as after\n"
        "assert before is after and hasattr(after, 'AppSyncResolver')\n"
    )
