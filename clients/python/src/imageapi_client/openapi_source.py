"""Written by scripts/gen_client.py: the OpenAPI document ``generated/`` was made from, by its
sha256 (layers/core/imageapi/openapi.json, what GET /openapi.json serves)."""

OPENAPI_SHA256 = "6e39ee921482dad1681e2afba4f05b43c99e2ca7c94ca945e7ebfaba11f3a06f"
