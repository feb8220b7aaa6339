"""What a deployment allows the pixel code to do beyond the pixel limit: HEIC on or off, and the
animation bounds (SPEC §4, §5). Defaults equal ``Settings``' defaults; ``context`` builds it from
the settings."""

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class PixelPolicy:
    heic: bool = True  # HEIC/HEIF decodes (needs pi-heif from the HEIC layer)
    max_frames: int = 300  # more frames: renditions keep the first frame only
    max_animation_pixels: int = 25_000_000  # sum of decoded source pixels over frames; same fallback
    max_output_bytes: int = 8 * MIB  # an animated rendition larger than this falls back to a still
