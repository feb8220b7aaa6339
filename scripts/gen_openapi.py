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
    name_operations(schema)
    state_enforced_rules(schema)
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
    400: "Malformed request (body not JSON, malformed multipart, bad cursor, refused source or webhook URL)",
    401: "Missing or invalid bearer token",
    404: "Unknown image, webhook or delivery id, or another owner's (indistinguishable)",
    409: "The image is not ready (pending) or was rejected (with rejection_reason); the webhook is disabled",
    413: "Too large",
    415: "Unsupported media type",
    422: "Validation failed (errors lists the fields)",
    429: "Throttled, over quota (images, webhook endpoints), or the image's rendition cap is reached",
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
    ("post", "/webhooks"): [400, 422],
    ("get", "/webhooks/{webhook_id}"): [404],
    ("patch", "/webhooks/{webhook_id}"): [400, 404, 422],
    ("delete", "/webhooks/{webhook_id}"): [404],
    ("post", "/webhooks/{webhook_id}/rotate-secret"): [404],
    ("post", "/webhooks/{webhook_id}/test"): [404, 409],
    ("get", "/webhooks/{webhook_id}/deliveries"): [400, 404, 422],
    ("post", "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): [404, 409],
    ("post", "/webhooks/{webhook_id}/recover"): [400, 404, 409, 422],
}
_SIDE = {"type": "integer", "minimum": 1, "maximum": 4096}
_DIRECT_FORM = {
    "type": "object",
    "required": ["file"],
    "additionalProperties": False,  # each field once; anything else is a 400 (SPEC §3.2)
    "properties": {
        "file": {"type": "string", "format": "binary", "minLength": 1, "description": "the image, up to 4 MiB"},
        "title": {"type": "string", "maxLength": 200, "description": "empty or absent: the file name"},
        "width": _SIDE,
        "height": _SIDE,
        "fit": {"$ref": "#/components/schemas/Fit"},
    },
}
# Raw bodies are documented as application/octet-stream (what generators turn into a file upload);
# the server takes any image/* type the same way (SPEC §3.2) and sniffs the bytes at ingest.
_RAW_IMAGE = {
    "schema": {
        "type": "string",
        "format": "binary",
        "minLength": 1,
        "description": "the image, up to 4 MiB; sent as application/octet-stream or as its own image/* type",
    }
}


_SOURCE_URL = {
    "type": "string",
    "format": "uri",
    "pattern": "^https?://",
    "minLength": 1,
    "maxLength": 2048,
    "description": "an http(s) URL the service fetches (public addresses only)",
}


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
            "application/octet-stream": _RAW_IMAGE,
        },
    }
    create["parameters"] = raw_parameters = [
        {
            "name": "title",
            "in": "query",
            "required": False,
            "description": 'title of a raw (application/octet-stream or image/*) body; default "untitled image"',
            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        },
        *(
            {"name": n, "in": "query", "required": False, "description": f"{n} of a raw body", "schema": s}
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
                        "url": _SOURCE_URL,
                        "title": {"type": "string", "minLength": 1, "maxLength": 200},
                    },
                }
            },
            "multipart/form-data": {"schema": _DIRECT_FORM},
            "application/octet-stream": _RAW_IMAGE,
        },
    }
    compat["parameters"] = raw_parameters  # the same raw-body way in (SPEC §3.8: same domain code)


def document_bodiless_responses(schema: dict) -> None:
    """Responses Powertools describes as JSON (from the handler's return annotation) that have no
    JSON body: 204 after a delete, the download redirect, the Swagger UI page."""
    paths = schema["paths"]
    paths["/images/{image_id}"]["delete"]["responses"]["204"] = {"description": "Deleted"}
    paths["/webhooks/{webhook_id}"]["delete"]["responses"]["204"] = {"description": "Deleted"}
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


# --------------------------------------------------------------------------- names and rules
# Explicit operationIds and tags, so generated clients get names such as ``list_images`` instead
# of ``list_images_images_get`` (issue 12). A route missing here still gets a derived camelCase
# name and a tag by its path (tests/unit/test_openapi_document.py checks every operation has both).
OPERATIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("post", "/images"): ("createImage", "images"),
    ("get", "/images"): ("listImages", "images"),
    ("get", "/images/{image_id}"): ("getImage", "images"),
    ("patch", "/images/{image_id}"): ("updateImage", "images"),
    ("delete", "/images/{image_id}"): ("deleteImage", "images"),
    ("post", "/images/{image_id}/restore"): ("restoreImage", "images"),
    ("get", "/images/{image_id}/download"): ("downloadImage", "images"),
    ("get", "/images/{image_id}/analysis"): ("getImageAnalysis", "images"),
    ("post", "/images/{image_id}/predictions"): ("createPrediction", "predictions"),
    ("post", "/upload_image"): ("uploadImageCompat", "compatibility"),
    ("get", "/analyse_image"): ("analyseImageCompat", "compatibility"),
    ("get", "/list_images"): ("listImagesCompat", "compatibility"),
    ("post", "/webhooks"): ("createWebhook", "webhooks"),
    ("get", "/webhooks"): ("listWebhooks", "webhooks"),
    ("get", "/webhooks/{webhook_id}"): ("getWebhook", "webhooks"),
    ("patch", "/webhooks/{webhook_id}"): ("updateWebhook", "webhooks"),
    ("delete", "/webhooks/{webhook_id}"): ("deleteWebhook", "webhooks"),
    ("post", "/webhooks/{webhook_id}/rotate-secret"): ("rotateWebhookSecret", "webhooks"),
    ("post", "/webhooks/{webhook_id}/test"): ("sendWebhookTest", "webhooks"),
    ("get", "/webhooks/{webhook_id}/deliveries"): ("listWebhookDeliveries", "webhooks"),
    ("post", "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): ("redeliverWebhookDelivery", "webhooks"),
    ("post", "/webhooks/{webhook_id}/recover"): ("recoverWebhookDeliveries", "webhooks"),
    ("get", "/health"): ("getHealth", "service"),
    ("get", "/openapi.json"): ("getOpenapiDocument", "service"),
    ("get", "/docs"): ("getDocs", "service"),
}
TAGS = [
    {"name": "images", "description": "Upload, list, read, change, delete and download images (SPEC §3.2-3.6)"},
    {"name": "predictions", "description": "Machine-learning inference on a stored image (SPEC §3.7)"},
    {"name": "compatibility", "description": "Flat RPC-style routes over the same domain code (SPEC §3.8)"},
    {"name": "webhooks", "description": "Signed webhooks of the images' lifecycle events (SPEC §3.11)"},
    {"name": "service", "description": "Health, this document and its Swagger UI (SPEC §3.9)"},
]
# A list cursor: base64url(JSON) "." base64url(16-byte HMAC) (imageapi.domain.cursors). Its shape
# is public; its signature is not something a schema can state: a cursor this API did not issue for
# this owner and query is a 400.
CURSOR_PATTERN = r"^(?:[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}\.[0-9a-f]{8})?$"  # empty: the first page


def _derived_name(method: str, path: str) -> tuple[str, str]:
    words = [w for w in path.replace("{", "").replace("}", "").replace("_", "/").split("/") if w]
    name = method + "".join(w[:1].upper() + w[1:] for w in words)
    tag = "images" if path.startswith("/images") else "service"
    return name, tag


def name_operations(schema: dict) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            operation_id, tag = OPERATIONS.get((method, path)) or _derived_name(method, path)
            operation["operationId"] = operation_id
            operation["tags"] = [tag]
    schema["tags"] = TAGS


def _title_pattern() -> str:
    """What ``models.Title`` enforces as a regular expression: no control or format characters
    (Unicode Cc, Cf) anywhere, and not blank (the first character is not whitespace)."""
    import sys
    import unicodedata

    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)) in ("Cc", "Cf"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))

    def esc(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"

    excluded = "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in ranges)
    return f"^[^\\s{excluded}][^{excluded}]*$"


def state_enforced_rules(schema: dict) -> None:
    """What the server enforces by hand, stated in the schemas, so that a schema-valid request is
    one the server accepts (schemathesis' positive_data_acceptance, tests/e2e/security)."""
    from imageapi.domain.formats import ALLOWED_CONTENT_TYPES

    components = schema["components"]["schemas"]
    upload = components["CreateUploadRequest"]["properties"]["content_type"]
    upload["enum"] = list(ALLOWED_CONTENT_TYPES)  # the format registry: anything else is a 415
    upload["description"] = "the file's MIME type: one of the accepted formats (otherwise 415)"
    from imageapi.settings import Settings

    size = components["CreateUploadRequest"]["properties"]["size"]
    size["maximum"] = Settings.model_fields["max_upload_bytes"].default  # 413 above it
    size["description"] += " (at most the deployment's limits.max_upload_bytes of GET /health; default shown)"
    components["ImportFromUrlRequest"]["properties"]["source_url"] = _SOURCE_URL
    title = _title_pattern()
    for model in components.values():
        prop = model.get("properties", {}).get("title")
        if prop is None:
            continue
        for candidate in [prop, *prop.get("anyOf", [])]:
            if candidate.get("type") == "string" and candidate.get("maxLength") == 200:
                candidate["pattern"] = title
    # Multipart: an empty title means "the file's name".
    _DIRECT_FORM["properties"]["title"]["pattern"] = f"^(?:{title[1:-1]})?$"  # type: ignore[index]
    compat = schema["paths"]["/upload_image"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    compat["properties"]["title"]["pattern"] = title
    for path in ("/images", "/list_images"):
        for parameter in schema["paths"][path]["get"].get("parameters", []):
            if parameter["name"] == "cursor":
                for candidate in [parameter["schema"], *parameter["schema"].get("anyOf", [])]:
                    if candidate.get("type") == "string":
                        candidate["pattern"] = CURSOR_PATTERN
                parameter["description"] = (
                    "next_cursor of the previous page; a cursor not issued for this query is a 400"
                )
    for parameter in schema["paths"]["/images"]["post"]["parameters"]:  # shared with /upload_image
        if parameter["name"] == "title":
            parameter["schema"]["pattern"] = title


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
