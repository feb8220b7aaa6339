"""Geometry: the sizes a fit mode asks for, planned once and applied to a working image."""

from dataclasses import dataclass

from PIL import Image

from imageapi.adapters.pixels.tunables import _FULL_BOX, LANCZOS, REDUCING_GAP
from imageapi.domain.models import (
    MAX_SIDE,
    Fit,
)

# --- geometry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    size: tuple[int, int]  # output size
    scaled: tuple[int, int]  # the whole source scaled, before any crop: what decoding must reach
    box: tuple[float, float, float, float] = _FULL_BOX  # crop of the source, as fractions


def check_side(name: str, value: int | None) -> None:
    if value is not None and not 1 <= value <= MAX_SIDE:
        raise ValueError(f"{name} must be between 1 and {MAX_SIDE}")


def plan_resize(src_w: int, src_h: int, width: int | None, height: int | None, fit: Fit) -> _Plan:
    check_side("width", width)
    check_side("height", height)
    if width is None and height is None:
        return _Plan((src_w, src_h), (src_w, src_h))
    if width is not None and height is not None:
        if fit is Fit.fill:
            return _Plan((width, height), (width, height))
        if fit is Fit.cover:
            scale = max(width / src_w, height / src_h)
            sw, sh = max(width, round(src_w * scale)), max(height, round(src_h * scale))
            fx, fy = width / (src_w * scale), height / (src_h * scale)
            box = ((1 - fx) / 2, (1 - fy) / 2, (1 + fx) / 2, (1 + fy) / 2)
            return _Plan((width, height), (sw, sh), box)
    # contain / inside, and any fit with one side given: the other side follows the aspect
    # ratio. The missing side is capped at MAX_SIDE so that a one-sided request on a panorama
    # cannot ask for a 4096 x 400000 image.
    box_w, box_h = width or MAX_SIDE, height or MAX_SIDE
    scale = min(box_w / src_w, box_h / src_h)
    if fit is Fit.inside:
        scale = min(scale, 1.0)
    size = (
        min(box_w, max(1, round(src_w * scale))),
        min(box_h, max(1, round(src_h * scale))),
    )
    return _Plan(size, size)


def target_size(src_w: int, src_h: int, width: int | None, height: int | None, fit: Fit) -> tuple[int, int]:
    """Output size for a source of src_w x src_h (already oriented) and a requested box.

    contain: fit the box keeping aspect (may upscale); inside: same but never upscales;
    cover: exactly the box, centre-cropped; fill: exactly the box, stretched. With one side
    given the other follows the aspect ratio (for every fit). Neither given: the source size.
    """
    return plan_resize(src_w, src_h, width, height, fit).size


def apply_plan(img: Image.Image, plan: _Plan) -> Image.Image:
    if plan.size == img.size and plan.box == _FULL_BOX:
        return img
    x0, y0, x1, y1 = plan.box
    box = (x0 * img.width, y0 * img.height, x1 * img.width, y1 * img.height)
    return img.resize(plan.size, LANCZOS, box=box, reducing_gap=REDUCING_GAP)
