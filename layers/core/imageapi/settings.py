"""Runtime configuration, read once from environment variables (set by template.yaml).

A plain pydantic model fed from ``os.environ`` (names matched case-insensitively, unknown ones
ignored): the same validation pydantic-settings gave, without its import (~30% of a function's
cold start, issue #15)."""

import os
from functools import lru_cache
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

MIB = 1024 * 1024
# Renditions at the edge (issue 20): the widths a srcset offers and the CDN renders (template
# EdgeWidths). Next.js's default device and image sizes each round up to one of them.
DEFAULT_EDGE_WIDTHS = (160, 240, 320, 480, 640, 960, 1280, 1920, 2560, 3840)
MAX_EDGE_WIDTHS = 32  # a longer list multiplies what one signed URL can make the renderer do
EDGE_WIDTH_RANGE = (16, 4096)


def parse_widths(value: str | tuple[int, ...] | list[int]) -> tuple[int, ...]:
    """The allow-list from its parameter (``"160,240,…"``): sorted and distinct, each within
    EDGE_WIDTH_RANGE, at most MAX_EDGE_WIDTHS. ValueError otherwise."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    try:
        widths = sorted({int(str(part).strip()) for part in parts if str(part).strip()})
    except ValueError:
        raise ValueError("edge widths must be whole numbers separated by commas") from None
    low, high = EDGE_WIDTH_RANGE
    if not 1 <= len(widths) <= MAX_EDGE_WIDTHS or widths[0] < low or widths[-1] > high:
        raise ValueError(f"edge widths: 1 to {MAX_EDGE_WIDTHS} widths within {low}..{high}")
    return tuple(widths)


class Settings(BaseModel):
    """Every limit of SPEC §5, with its default. Template parameters override them."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Self:
        """The settings the environment sets (``TABLE_NAME`` -> ``table_name``), then ``overrides``."""
        environ = dict(os.environ) if environ is None else environ
        values: dict[str, Any] = {name.lower(): value for name, value in environ.items() if name.lower() in _FIELDS}
        return cls.model_validate(values | overrides)

    table_name: str = "images"
    bucket_name: str = "images"

    max_upload_bytes: int = Field(20 * MIB, ge=1)
    max_direct_upload_bytes: int = Field(4 * MIB, ge=1)
    max_pixels: int = Field(50_000_000, ge=1)
    max_renditions_per_image: int = Field(20, ge=3)
    # HEIC/HEIF input: needs the HEIC layer (pi-heif); template EnableHeic (SPEC §4).
    heic_enabled: bool = True
    # Animations (SPEC §4, §5): beyond frames or total decoded pixels the renditions keep only the
    # first frame; an animation over 10 x max_pixels in total is rejected at ingest.
    max_animation_frames: int = Field(300, ge=1)
    max_animation_pixels: int = Field(25_000_000, ge=1)  # frames x width x height of the source
    max_animation_output_bytes: int = Field(8 * MIB, ge=1024)  # per animated rendition
    quota_max_images: int = Field(10_000, ge=1)
    quota_max_bytes: int = Field(10 * 1024 * MIB, ge=1)

    upload_url_ttl_seconds: int = Field(900, ge=60, le=900)
    download_url_ttl_seconds: int = Field(300, ge=1, le=3600)
    pending_ttl_seconds: int = Field(86_400, ge=60)
    # Deleted images stay restorable this long (template parameter TrashRetentionDays); a
    # fraction of a day is accepted so the local stack and tests can watch a window end.
    trash_retention_days: float = Field(30, ge=0)

    # Signs list cursors so a client cannot forge or tamper with them. In AWS the key is a Secrets
    # Manager secret (CURSOR_SECRET_ARN), read on first use, never an environment value;
    # CURSOR_SECRET is a fixed key for unit tests and tools that run without a secret store.
    cursor_secret_arn: str | None = None
    cursor_secret: str = Field("local-development-cursor-secret", min_length=16)

    import_allow_private_networks: bool = False
    import_timeout_seconds: float = Field(10.0, gt=0)
    import_max_redirects: int = Field(3, ge=0, le=10)

    cors_allow_origins: str = "*"

    # Fair sharing (issue #15): requests per owner and window on the costly routes; 0 = no limit.
    rate_limit_window_seconds: int = Field(60, ge=1, le=3600)
    rate_limit_url_imports: int = Field(30, ge=0)
    rate_limit_direct_uploads: int = Field(60, ge=0)
    rate_limit_transforms: int = Field(120, ge=0)
    rate_limit_predictions: int = Field(30, ge=0)

    rate_limit_webhooks: int = Field(60, ge=0)  # the webhook management routes (issue 19)

    # Events and webhooks (SPEC §3.11, issue 19). The names come from template.yaml.
    event_bus_name: str = ""
    delivery_queue_url: str = ""
    delivery_dead_letter_queue_url: str = ""
    webhook_key_alias: str = ""  # the KMS key (an alias) that seals endpoint secrets
    webhook_max_endpoints: int = Field(10, ge=1, le=100)
    webhook_timeout_seconds: float = Field(15.0, gt=0, le=60)
    webhook_delivery_retention_days: int = Field(30, ge=1)
    # https only in AWS; the local stack allows http (its receivers run on 127.0.0.1).
    webhook_allow_http: bool = False
    # Exact origins (scheme://host:port) exempt from the address check: the local stack's inbox
    # on its own gateway. Never set in AWS.
    webhook_allowed_origins: str = ""

    # Renditions at the edge (issue 20; docs/formats.md, "At the edge").
    edge_widths: tuple[int, ...] = DEFAULT_EDGE_WIDTHS
    # A first miss for AVIF larger than this many output pixels answers WebP (not cached) and
    # stores the AVIF for the next request (make bench, section edge, measured the encode).
    edge_avif_miss_max_pixels: int = Field(3_000_000, ge=0)
    # How that AVIF is stored: an asynchronous invoke of the render function itself (AWS), a
    # thread of the local stack, or "off" (always encode AVIF on the miss itself).
    edge_fill: Literal["lambda", "thread", "off"] = "lambda"
    edge_redirect_ttl_seconds: int = Field(300, ge=60, le=3600)  # the 302 of a rendition over 4.7 MB

    @field_validator("edge_widths", mode="before")
    @classmethod
    def _widths(cls, value: Any) -> tuple[int, ...]:
        return parse_widths(value)

    @property
    def cors_origins(self) -> list[str]:
        return [origin.strip() for origin in self.cors_allow_origins.split(",") if origin.strip()]


_FIELDS = frozenset(Settings.model_fields)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
