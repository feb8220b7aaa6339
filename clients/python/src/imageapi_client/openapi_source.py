"""Written by scripts/gen_client.py: the OpenAPI document ``generated/`` was made from, by its
sha256 (layers/core/imageapi/openapi.json, what GET /openapi.json serves)."""

OPENAPI_SHA256 = "d5cc853dfe788c1406e968b95f5d85e89d2b65d64a1000cb7ec490e25b2faa16"
