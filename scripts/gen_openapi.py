"""Generate the OpenAPI document from every function's resolver and models.

Usage: python scripts/gen_openapi.py [--check]. Writes layers/core/imageapi/openapi.json; with
--check, exits 1 when the committed file differs from what the code generates.
"""

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "layers" / "core" / "imageapi" / "openapi.json"


def generate() -> str:
    sys.path.insert(0, str(ROOT / "layers" / "core"))
    sys.path.insert(0, str(ROOT / "layers" / "ml"))
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
    from imageapi import __version__

    merge = OpenAPIMerge(
        title="Serverless Image API",
        version=__version__,
        description="Upload, analyse, transform and download images. Errors are RFC 9457 problems.",
        security_schemes={"bearerAuth": HTTPBearer(bearerFormat="JWT")},
        security=[{"bearerAuth": []}],
        on_conflict="error",
    )
    for handler_file in sorted((ROOT / "functions").glob("*/app.py")):
        if "build_resolver" in handler_file.read_text():  # HTTP functions only, not ingest
            merge.add_file(handler_file, resolver_name="app")
    schema = json.loads(merge.get_openapi_json_schema())
    for path in ("/health", "/openapi.json", "/docs"):  # public routes
        for operation in schema.get("paths", {}).get(path, {}).values():
            operation["security"] = []
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    document = generate()
    if args.check:
        current = TARGET.read_text() if TARGET.exists() else ""
        if current != document:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(document)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
