"""Animated GIF/WebP: frames, loop and duration, and animated renditions within the policy's
bounds (SPEC §4). Frames are decoded one at a time and shrunk straight to every rendition size,
so memory holds rendition-size frames only, never the full-size animation."""

import io
from dataclasses import dataclass, field

from PIL import Image

from imageapi.adapters.pixels.decoding import _to_working
from imageapi.adapters.pixels.geometry import _Plan, apply_plan
from imageapi.adapters.pixels.policy import PixelPolicy
from imageapi.adapters.pixels.tunables import _TRANSPOSE, WEBP_QUALITY
from imageapi.domain.formats import ALLOWED_FORMATS
from imageapi.domain.ports import RenderedImage

ANIMATED_INPUTS = ("GIF", "WEBP")  # PNG (APNG) and AVIF sequences are rendered from frame 0
ANIMATED_OUTPUTS = ("GIF", "WEBP")


@dataclass
class Animation:
    """What the analysis reports, and the frames of each rendition when the animation is kept."""

    frames: int
    loop: int | None = None  # 0 = forever; None = plays once (no loop entry)
    duration_ms: int | None = None
    kept: bool = False  # within the policy: renditions stay animated
    durations: list[int] = field(default_factory=list)
    sequences: dict[str, list[Image.Image]] = field(default_factory=dict)


def is_animation(fmt: str, frames: int) -> bool:
    return fmt in ANIMATED_INPUTS and frames > 1


def within(im: Image.Image, frames: int, policy: PixelPolicy) -> bool:
    return frames <= policy.max_frames and frames * im.width * im.height <= policy.max_animation_pixels


def read_animation(
    im: Image.Image, frames: int, orientation: int, plans: dict[str, _Plan], policy: PixelPolicy
) -> Animation:
    """Walk every frame once (after frame 0 was decoded); keep each rendition's frames if the
    animation is within the policy, else only report frames, loop and (when cheap) duration."""
    raw_loop = im.info.get("loop")
    anim = Animation(frames=frames, loop=raw_loop if isinstance(raw_loop, int) else None)
    if not within(im, frames, policy):
        return anim  # over the bounds: stills only, and no frame is decoded past the first
    has_alpha = True  # later frames may add transparency; encoding drops an opaque alpha
    for index in range(frames):
        im.seek(index)
        im.load()  # WebP sets a frame's duration when it decodes it
        anim.durations.append(max(0, int(im.info.get("duration", 0) or 0)))
        frame = _to_working(im.convert("RGBA"), has_alpha)
        if orientation in _TRANSPOSE:
            frame = frame.transpose(_TRANSPOSE[orientation])
        for name, plan in plans.items():
            anim.sequences.setdefault(name, []).append(apply_plan(frame, plan))
    anim.duration_ms = sum(anim.durations)
    anim.kept = True
    return anim


def encode_animation(
    frames: list[Image.Image], durations: list[int], loop: int | None, fmt: str, quality: int | None, max_bytes: int
) -> RenderedImage | None:
    """The frames as one animated GIF or WebP without metadata; None if over ``max_bytes``."""
    first, rest = frames[0], frames[1:]
    buf = io.BytesIO()
    common: dict[str, object] = {"save_all": True, "append_images": rest, "duration": durations}
    if loop is not None:
        common["loop"] = loop
    if fmt == "WEBP":
        # method 1: an animation is many images; effort 4 triples the time for ~5 % fewer bytes
        first.save(buf, "WEBP", quality=quality or WEBP_QUALITY, method=1, **common)
    else:
        first.save(buf, "GIF", disposal=2, optimize=False, **common)
    if buf.tell() > max_bytes:
        return None
    return RenderedImage(buf.getvalue(), ALLOWED_FORMATS[fmt], first.width, first.height)
