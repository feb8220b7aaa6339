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
    for path in PUBLIC_PATHS:
        for operation in schema.get("paths", {}).get(path, {}).values():
            operation["security"] = []
    document_hand_parsed_bodies(schema)
    document_bodiless_responses(schema)
    document_problems(schema)
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


# --------------------------------------------------------------------------- post-processing
# Powertools documents only its own 422 (as a FastAPI-style HTTPValidationError) and no body for
# routes that parse it by hand. What the API really answers: every error is an RFC 9457 problem
# (imageapi.domain.errors, docs/errors.md), and POST /images, POST /upload_image take JSON, multipart or
# raw image bodies. Conformance tests (tests/e2e/security/test_fuzz_api.py) check responses against this.

PUBLIC_PATHS = ("/health", "/openapi.json", "/docs")
PROBLEM_JSON = "application/problem+json"
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An RFC 9457 problem document (docs/errors.md).",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "urn:image-api:problem:<slug>"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "rejection_reason": {"type": "string"},
    },
    "additionalProperties": True,
}
ERROR_DESCRIPTIONS = {
    400: "Malformed request (body not JSON, malformed multipart, bad cursor, refused source URL)",
    401: "Missing or invalid bearer token",
    404: "Unknown image id, or another owner's (indistinguishable)",
    409: "The image is not ready (pending) or was rejected (with rejection_reason)",
    413: "Too large",
    415: "Unsupported media type",
    422: "Validation failed (errors lists the fields)",
    429: "Throttled, over quota, or the image's rendition cap is reached",
    500: "A bug on our side",
    502: "The source URL failed",
    504: "The source URL timed out",
}
CREATE_ERRORS = [400, 413, 415, 422, 429, 502, 504]
ROUTE_ERRORS: dict[tuple[str, str], list[int]] = {
    ("post", "/images"): CREATE_ERRORS,
    ("post", "/upload_image"): CREATE_ERRORS,
    ("get", "/images"): [400, 422],
    ("get", "/list_images"): [400, 422],
    ("get", "/images/{image_id}"): [404],
    ("delete", "/images/{image_id}"): [404],
    ("post", "/images/{image_id}/restore"): [404, 429],  # not in the trash (or past its window); over quota
    ("patch", "/images/{image_id}"): [400, 404, 409, 422],
    ("get", "/images/{image_id}/analysis"): [404, 409],
    ("get", "/analyse_image"): [404, 409, 422],
    ("get", "/images/{image_id}/download"): [404, 409, 422],
    ("post", "/images/{image_id}/predictions"): [400, 404, 409, 422],
}
_SIDE = {"type": "integer", "minimum": 1, "maximum": 4096}
_DIRECT_FORM = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "the image, up to 4 MiB"},
        "title": {"type": "string", "maxLength": 200, "description": "empty or absent: the file name"},
        "width": _SIDE,
        "height": _SIDE,
        "fit": {"$ref": "#/components/schemas/Fit"},
    },
}
_RAW_IMAGE = {"schema": {"type": "string", "format": "binary", "description": "the image, up to 4 MiB"}}


def _add_model(schema: dict, model: type) -> dict:
    """Put a pydantic model (and its $defs) into components.schemas; return its $ref."""
    generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema["components"]["schemas"]
    for name, definition in generated.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault(model.__name__, generated)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def document_hand_parsed_bodies(schema: dict) -> None:
    from imageapi.domain.models import CreateUploadRequest, ImportFromUrlRequest

    paths = schema["paths"]
    create = paths["/images"]["post"]
    create["requestBody"] = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"oneOf": [_add_model(schema, CreateUploadRequest), _add_model(schema, ImportFromUrlRequest)]}
            },
            "multipart/form-data": {"schema": _DIRECT_FORM},
            "image/*": _RAW_IMAGE,
        },
    }
    create["parameters"] = [
        {
            "name": "title",
            "in": "query",
            "required": False,
            "description": "title of a raw image/* body",
            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        },
        *(
            {"name": n, "in": "query", "required": False, "description": f"{n} of a raw image/* body", "schema": s}
            for n, s in (("width", _SIDE), ("height", _SIDE), ("fit", {"$ref": "#/components/schemas/Fit"}))
        ),
    ]
    compat = paths["/upload_image"]["post"]
    compat["requestBody"] = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["url"],
                    "properties": {
                        "url": {"type": "string", "minLength": 1, "maxLength": 2048},
                        "title": {"type": "string", "minLength": 1, "maxLength": 200},
                    },
                }
            },
            "multipart/form-data": {"schema": _DIRECT_FORM},
        },
    }


def document_bodiless_responses(schema: dict) -> None:
    """Responses Powertools describes as JSON (from the handler's return annotation) that have no
    JSON body: 204 after a delete, the download redirect, the Swagger UI page."""
    paths = schema["paths"]
    paths["/images/{image_id}"]["delete"]["responses"]["204"] = {"description": "Deleted"}
    paths["/images/{image_id}/download"]["get"]["responses"]["302"] = {
        "description": "Redirect to a presigned S3 URL",
        "headers": {"Location": {"description": "the presigned S3 GET", "schema": {"type": "string"}}},
    }
    paths["/images/{image_id}/download"]["get"]["responses"]["200"]["content"] = {
        "application/json": {"schema": {"$ref": "#/components/schemas/DownloadLink"}}
    }
    paths["/docs"]["get"]["responses"]["200"] = {
        "description": "Swagger UI",
        "content": {"text/html": {"schema": {"type": "string"}}},
    }


def _has_input(operation: dict) -> bool:
    return bool(operation.get("parameters") or operation.get("requestBody"))


def document_problems(schema: dict) -> None:
    components = schema["components"]["schemas"]
    components["Problem"] = PROBLEM_SCHEMA
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in [s for s in responses if s.isdigit() and int(s) >= 400]:
                del responses[status]  # Powertools' HTTPValidationError / ResponseValidationError
            statuses = set(ROUTE_ERRORS.get((method, path), []))
            statuses |= {429, 500}  # API Gateway throttling; a bug of ours
            if path not in PUBLIC_PATHS:
                statuses.add(401)
            if _has_input(operation):
                statuses.add(422)
            for status in sorted(statuses):
                responses[str(status)] = {
                    "description": ERROR_DESCRIPTIONS[status],
                    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                }
    used = json.dumps(schema["paths"])
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        if f"#/components/schemas/{name}" not in used and name in components:
            del components[name]


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
