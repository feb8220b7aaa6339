"""Pydantic models: what the API accepts and returns, and the record kept in DynamoDB."""

import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field

from imageapi.domain.base import Model
from imageapi.domain.embedded import EmbeddedRenditions, SrcsetEntry

MAX_TITLE = 200
MAX_SIDE = 4096


def _clean_title(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        raise ValueError("must not contain control characters")
    return value


Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE), AfterValidator(_clean_title)]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$"), AfterValidator(str.lower)]
Side = Annotated[int, Field(ge=1, le=MAX_SIDE)]


class Fit(StrEnum):
    contain = "contain"  # fit inside the box, keep aspect ratio (may upscale to touch the box)
    cover = "cover"  # fill the box, keep aspect ratio, crop the overflow
    fill = "fill"  # exactly the box, aspect ratio ignored
    inside = "inside"  # like contain, but never upscale


class ImageStatus(StrEnum):
    pending = "pending"
    ready = "ready"
    rejected = "rejected"
    deleted = "deleted"  # in the trash (domain/trash): only ever a list filter and an output status


class Strict(Model):
    model_config = ConfigDict(extra="forbid")


class ResizeSpec(Strict):
    width: Side | None = None
    height: Side | None = None
    fit: Fit = Fit.contain

    def is_empty(self) -> bool:
        return self.width is None and self.height is None


class CreateUploadRequest(Strict):
    """Way 1 of SPEC §3.2: ask for a presigned POST form."""

    title: Title
    # Checked by the service, not here, so an unknown type answers 415 rather than 422.
    content_type: Annotated[str, Field(min_length=1, max_length=100)]
    size: int = Field(ge=1, description="Exact or maximum size in bytes of the file to upload")
    sha256: Sha256Hex | None = None
    resize: ResizeSpec | None = None


class ImportFromUrlRequest(Strict):
    """Way 2 of SPEC §3.2: the service fetches the image."""

    title: Title
    source_url: Annotated[str, Field(min_length=1, max_length=2048)]
    resize: ResizeSpec | None = None


class ImagePatch(Strict):
    """PATCH /images/{id}: a new title and/or a new served size (re-rendered from the original)."""

    title: Title | None = None
    width: Side | None = None
    height: Side | None = None
    fit: Fit | None = None

    @property
    def changes_size(self) -> bool:
        return self.width is not None or self.height is not None or self.fit is not None


class Variant(StrEnum):
    original = "original"
    display = "display"
    compressed = "compressed"
    thumbnail = "thumbnail"


class OutputFormat(StrEnum):
    jpeg = "jpeg"
    png = "png"
    webp = "webp"
    avif = "avif"
    gif = "gif"
    auto = "auto"  # the best the request's Accept allows: AVIF, then WebP, then JPEG (SPEC §3.5)


class Transform(Model):
    """An on-demand rendition (SPEC §3.5). Its canonical name keys the stored object."""

    width: Side | None = None
    height: Side | None = None
    fit: Fit = Fit.contain
    format: OutputFormat | None = None
    quality: Annotated[int, Field(ge=1, le=100)] | None = None

    @property
    def name(self) -> str:
        def part(value: object) -> str:
            return "auto" if value is None else str(value)

        fmt = part(self.format.value if self.format else None)
        return f"t_{part(self.width)}x{part(self.height)}_{self.fit.value}_q{part(self.quality)}.{fmt}"


class DownloadLink(Model):
    url: str
    expires_at: datetime


class CompatImageId(Model):
    image_id: str


class Dimensions(Model):
    width: int
    height: int
    bytes: int


class Rendition(Model):
    key: str
    content_type: str
    width: int
    height: int
    bytes: int


class DominantColor(Model):
    hex: Annotated[str, Field(pattern=r"^#[0-9a-f]{6}$")]
    share: Annotated[float, Field(ge=0, le=1)]


class ExifSummary(Model):
    """The EXIF subset we return. GPS coordinates are never kept: only whether they existed."""

    make: str | None = None
    model: str | None = None
    captured_at: str | None = None
    orientation: int | None = None
    software: str | None = None
    has_gps: bool = False


class Analysis(Model):
    """SPEC §3.6, computed at ingest from one decode."""

    width: int
    height: int
    format: str
    mime: str
    mode: str
    has_alpha: bool
    animated: bool
    frames: int
    loop: int | None = Field(None, description="animation loop count: 0 = forever, absent = plays once")
    duration_ms: int | None = Field(None, description="total duration of one pass of the animation")
    bytes: int
    sha256: str
    md5: str
    orientation: int = 1
    exif: ExifSummary = Field(default_factory=ExifSummary)
    dominant_colors: list[DominantColor] = Field(default_factory=list)
    blurhash: str | None = None
    phash: str | None = None


class ImageRecord(Model):
    """What DynamoDB keeps for one image (owner-scoped)."""

    id: str
    owner: str
    title: str
    status: ImageStatus
    content_type: str
    declared_bytes: int
    sha256: str | None = None
    created_at: datetime
    updated_at: datetime
    resize: ResizeSpec | None = None
    original: Dimensions | None = None
    renditions: dict[str, Rendition] = Field(default_factory=dict)
    analysis: Analysis | None = None
    rejection_reason: str | None = None

    @property
    def served(self) -> Rendition | None:
        return self.renditions.get("display")


class ImageLinks(Model):
    self: str
    download: str
    thumbnail: str
    analysis: str


class ImageOut(Model):
    """The image object of SPEC §3.4."""

    id: str
    title: str
    status: ImageStatus
    content_type: str
    bytes: int | None
    width: int | None
    height: int | None
    original: Dimensions | None
    sha256: str | None
    created_at: datetime
    updated_at: datetime
    rejection_reason: str | None = None
    links: ImageLinks
    deleted_at: datetime | None = None  # in the trash only: when it was deleted,
    purge_at: datetime | None = None  # and when it is purged unless restored first
    renditions: EmbeddedRenditions | None = None  # ready images, for their owner only (SPEC §3.4)
    srcset: list[SrcsetEntry] | None = Field(
        None,
        description="ready images behind the renditions CDN: one URL per width of the allow-list (GET /health: "
        "limits.edge_widths) up to the image's own width, narrowest first; the CDN serves AVIF, WebP or JPEG as "
        "the request's Accept allows. Use it as `<img srcset>` (`url width + 'w'`) with `sizes`",
    )

    @classmethod
    def of(
        cls, record: ImageRecord, renditions: EmbeddedRenditions | None = None, srcset: list[SrcsetEntry] | None = None
    ) -> "ImageOut":
        base = f"/images/{record.id}"
        served = record.served
        return cls(
            id=record.id,
            title=record.title,
            status=record.status,
            content_type=served.content_type if served else record.content_type,
            bytes=served.bytes if served else (record.original.bytes if record.original else None),
            width=served.width if served else None,
            height=served.height if served else None,
            original=record.original,
            sha256=record.sha256,
            created_at=record.created_at,
            updated_at=record.updated_at,
            rejection_reason=record.rejection_reason,
            links=ImageLinks(
                self=base,
                download=f"{base}/download",
                thumbnail=f"{base}/download?variant=thumbnail",
                analysis=f"{base}/analysis",
            ),
            renditions=renditions,
            srcset=srcset,
        )


class UploadForm(Model):
    url: str
    fields: dict[str, str]
    expires_at: datetime


class CreatedUpload(Model):
    image: ImageOut
    upload: UploadForm


class DuplicateImage(Model):
    image: ImageOut
    duplicate: Literal[True] = True


class ImagePage(Model):
    items: list[ImageOut]
    next_cursor: str | None
