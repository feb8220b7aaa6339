"""Written by scripts/gen_client.py: the OpenAPI document ``generated/`` was made from, by its
sha256 (layers/core/imageapi/openapi.json, what GET /openapi.json serves)."""

OPENAPI_SHA256 = "b960d0be76f6c6530364b9d1f41858a915e8a1b6258baa3229b5724f33fbd30a"
