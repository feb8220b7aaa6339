"""Written by scripts/gen_client.py: the OpenAPI document ``generated/`` was made from, by its
sha256 (layers/core/imageapi/openapi.json, what GET /openapi.json serves)."""

OPENAPI_SHA256 = "4cca9ef0f132a5128f37eabb71d12309e736d1816aa1a7bc266e44c8d30ff3e5"
