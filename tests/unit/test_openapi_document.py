"""The committed OpenAPI document (scripts/gen_openapi.py) names every operation and states what
the server enforces, derived from the code: the accepted content types from the format registry,
the cursor's shape from the codec, the title rule from ``models.Title`` (issue 12)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from imageapi.domain.cursors import CursorCodec
from imageapi.domain.formats import ALLOWED_CONTENT_TYPES
from imageapi.domain.models import Title

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT: dict[str, Any] = json.loads((ROOT / "layers" / "core" / "imageapi" / "openapi.json").read_text())
TAGS = {"images", "predictions", "compatibility", "service", "webhooks"}


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, ops in DOCUMENT["paths"].items() for m, op in ops.items()]


def test_every_operation_has_a_unique_camel_case_id_and_one_known_tag() -> None:
    ids = [op.get("operationId") for _, _, op in _operations()]
    assert all(i and re.fullmatch(r"[a-z][A-Za-z0-9]+", i) for i in ids), ids
    assert len(set(ids)) == len(ids)
    assert all(len(op["tags"]) == 1 and op["tags"][0] in TAGS for _, _, op in _operations())
    named = {op["operationId"] for _, _, op in _operations()}
    assert {"createImage", "listImages", "getImage", "updateImage", "deleteImage", "downloadImage"} <= named
    assert {"getImageAnalysis", "createPrediction", "getHealth", "getOpenapiDocument", "getDocs"} <= named
    assert {t["name"] for t in DOCUMENT["tags"]} == TAGS


def test_content_type_is_the_registry_and_bodies_are_generator_friendly() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert schemas["CreateUploadRequest"]["properties"]["content_type"]["enum"] == list(ALLOWED_CONTENT_TYPES)
    source = schemas["ImportFromUrlRequest"]["properties"]["source_url"]
    assert source["format"] == "uri" and re.match(source["pattern"], "https://example.org/a.png")
    assert not re.match(source["pattern"], "file:///etc/passwd") and not re.match(source["pattern"], "ftp://x")
    for _, _, op in _operations():
        media = set(op.get("requestBody", {}).get("content", {}))
        assert not any("*" in m for m in media), media  # wildcards make generators warn


def test_the_cursor_pattern_matches_real_cursors_and_documents_the_400() -> None:
    cursor = CursorCodec("secret").encode({"pk": "OWNER#a", "sk": "IMAGE#01"}, "scope")
    for path in ("/images", "/list_images"):
        operation = DOCUMENT["paths"][path]["get"]
        schema = next(p["schema"] for p in operation["parameters"] if p["name"] == "cursor")
        pattern = next(s["pattern"] for s in schema["anyOf"] if s.get("type") == "string")
        assert re.fullmatch(pattern, cursor) and re.fullmatch(pattern, "")
        assert not re.fullmatch(pattern, "not a cursor")
        assert "400" in operation["responses"]


@pytest.mark.parametrize(
    "title", ["photo", "été 2024", "a  b", " x", "", "   ", "a\x00b", "tab\tx", "bidi\u202ex", "zw\u200b"]
)
def test_the_title_pattern_agrees_with_the_server(title: str) -> None:
    pattern = DOCUMENT["components"]["schemas"]["CreateUploadRequest"]["properties"]["title"]["pattern"]
    try:
        TypeAdapter(Title).validate_python(title)
        accepted = True
    except ValidationError:
        accepted = False
    # The pattern may be stricter (a leading space is stripped by the server) but never looser.
    if re.fullmatch(pattern, title):
        assert accepted, title
    elif title and not title[0].isspace():
        assert not accepted, title
