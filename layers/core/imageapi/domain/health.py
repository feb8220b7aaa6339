"""What `GET /health` publishes: the service's status and the limits a client can check before
sending (SPEC §3.9, §5)."""

from typing import Literal

from pydantic import Field

from imageapi.domain.base import Model
from imageapi.domain.edge import QUALITIES
from imageapi.domain.formats import extension_types
from imageapi.domain.models import MAX_SIDE, MAX_TITLE
from imageapi.settings import DEFAULT_EDGE_WIDTHS


class PublicLimits(Model):
    """The limits a client can check before sending (SPEC §5)."""

    max_upload_bytes: int
    max_direct_upload_bytes: int
    max_pixels: int
    max_renditions_per_image: int
    rate_limits: dict[str, int] = Field(
        default_factory=dict,
        description="requests per owner and rate_limit_window_seconds on the costly routes (0 = no limit); "
        "over it: 429 with Retry-After",
    )
    rate_limit_window_seconds: int = 60
    max_title_length: int = MAX_TITLE
    max_side: int = MAX_SIDE
    max_animation_frames: int | None = None
    max_animation_pixels: int | None = None
    max_animation_output_bytes: int | None = None
    heic: bool = Field(True, description="HEIC/HEIF accepted on this deployment")
    file_types: dict[str, str] = Field(
        default_factory=extension_types, description="accepted file extensions and their MIME types"
    )
    edge_widths: list[int] = Field(
        default_factory=lambda: list(DEFAULT_EDGE_WIDTHS),
        description="the widths an image's srcset offers and the CDN renders (template EdgeWidths); a request for "
        "another width is refused at the edge",
    )
    edge_qualities: list[str] = Field(
        default_factory=lambda: list(QUALITIES),
        description="the quality levels an edge URL may name: /edge/{width} is default, /edge/{width}-low, -high",
    )


class Health(Model):
    status: Literal["ok"] = "ok"
    version: str
    limits: PublicLimits
