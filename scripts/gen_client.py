"""Generate the low-level half of the Python SDK (clients/python, package ``imageapi_client``) from
the OpenAPI document the API serves (layers/core/imageapi/openapi.json, kept equal to it by
``scripts/gen_openapi.py --check``), with the pinned openapi-python-client of .venv-openapi-client.

Usage: python scripts/gen_client.py [--check]. Rewrites clients/python/src/imageapi_client/generated/
and openapi_source.py (the document's sha256); with --check, writes nothing and exits 1 when the
committed code differs from what the document generates (`make client` regenerates it). Either way
a generator warning fails: the document must generate cleanly.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "layers" / "core" / "imageapi" / "openapi.json"
CLIENT = ROOT / "clients" / "python"
CONFIG = CLIENT / "openapi-python-client.yaml"
PACKAGE = CLIENT / "src" / "imageapi_client"
TARGET = PACKAGE / "generated"
SOURCE_MODULE = PACKAGE / "openapi_source.py"
GENERATOR_BIN = ROOT / ".venv-openapi-client" / "bin"


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def source_module(document: bytes) -> str:
    digest = hashlib.sha256(document).hexdigest()
    return (
        '"""Written by scripts/gen_client.py: the OpenAPI document ``generated/`` was made from, by its\n'
        'sha256 (layers/core/imageapi/openapi.json, what GET /openapi.json serves)."""\n\n'
        f'OPENAPI_SHA256 = "{digest}"\n'
    )


def generate(out: Path) -> None:
    generator = GENERATOR_BIN / "openapi-python-client"
    if not generator.exists():
        raise SystemExit(f"{generator.relative_to(ROOT)} is missing: run `make .venv-openapi-client/.installed`")
    # The post hooks call `ruff`: the generator's pinned one, first on PATH.
    env = {**os.environ, "PATH": f"{GENERATOR_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run(  # noqa: S603 (our own pinned generator, our own paths)
        [
            str(generator),
            "generate",
            "--path",
            str(DOCUMENT),
            "--meta",
            "none",
            "--output-path",
            str(out),
            "--config",
            str(CONFIG),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    output = run.stdout + run.stderr
    if run.returncode != 0 or "warning" in output.lower() or "error" in output.lower():
        raise SystemExit(f"openapi-python-client failed or warned:\n{output}")


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".ruff_cache" not in p.parts
    }


def differences(expected: dict[str, bytes], committed: dict[str, bytes]) -> list[str]:
    lines: list[str] = []
    for name in sorted(expected.keys() | committed.keys()):
        if name not in committed:
            lines.append(f"missing: generated/{name}")
        elif name not in expected:
            lines.append(f"not generated any more: generated/{name}")
        elif expected[name] != committed[name]:
            diff = difflib.unified_diff(
                committed[name].decode().splitlines(),
                expected[name].decode().splitlines(),
                f"committed/{name}",
                f"expected/{name}",
                lineterm="",
                n=1,
            )
            lines.extend(list(diff)[:20])
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the committed client is out of date")
    args = parser.parse_args()
    document = DOCUMENT.read_bytes()
    with tempfile.TemporaryDirectory(prefix="imageapi-client-") as work:
        out = Path(work) / "generated"
        generate(out)
        expected = tree(out)
        if args.check:
            problems = differences(expected, tree(TARGET) if TARGET.exists() else {})
            if not SOURCE_MODULE.exists() or SOURCE_MODULE.read_text() != source_module(document):
                problems.append(f"{_shown(SOURCE_MODULE)} names another document")
            if problems:
                print("\n".join(problems[:60]), file=sys.stderr)
                print(
                    f"{_shown(TARGET)} is out of date with {_shown(DOCUMENT)}: run `make client`",
                    file=sys.stderr,
                )
                return 1
            return 0
        shutil.rmtree(TARGET, ignore_errors=True)
        shutil.copytree(out, TARGET, ignore=shutil.ignore_patterns(".ruff_cache", "__pycache__"))
    SOURCE_MODULE.write_text(source_module(document))
    print(f"wrote {_shown(TARGET)} ({len(expected)} files) from {_shown(DOCUMENT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
