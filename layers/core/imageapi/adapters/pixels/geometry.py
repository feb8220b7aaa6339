"""Geometry: the sizes a fit mode asks for, planned once and applied to a working image."""

import os
from concurrent.futures import ThreadPoolExecutor
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
    no_reduce = (box[2] - box[0]) < 2 * REDUCING_GAP * plan.size[0] and (
        box[3] - box[1]
    ) < 2 * REDUCING_GAP * plan.size[1]
    if no_reduce and plan.size[0] * plan.size[1] >= _BAND_MIN_PIXELS and _WORKERS > 1:
        return _resize_in_bands(img, plan.size, box)
    return img.resize(plan.size, LANCZOS, box=box, reducing_gap=REDUCING_GAP)


# A large LANCZOS without an integer pre-reduction (4000x3000 -> 2048x1536 at ingest: most of the
# upload -> ready time) is split into horizontal bands resampled on all cores: Pillow releases the
# GIL while it resamples, and a band's source box (with the neighbours outside it that the filter
# reaches) gives the rows a whole-image resize would: exactly when the scale is a binary fraction
# (ingest's 1500 -> 1536), else up to float rounding of the filter windows (a few levels on edges).
_WORKERS = min(4, os.cpu_count() or 1)
_BAND_MIN_PIXELS = 1_000_000
_pool: ThreadPoolExecutor | None = None


def _resize_in_bands(img: Image.Image, size: tuple[int, int], box: tuple[float, float, float, float]) -> Image.Image:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="resample")
    rows = [round(size[1] * i / _WORKERS) for i in range(_WORKERS + 1)]
    scale = (box[3] - box[1]) / size[1]

    def band(i: int) -> Image.Image:
        top, bottom = box[1] + rows[i] * scale, box[1] + rows[i + 1] * scale
        return img.resize((size[0], rows[i + 1] - rows[i]), LANCZOS, box=(box[0], top, box[2], bottom))

    out = Image.new(img.mode, size)
    for i, part in enumerate(_pool.map(band, range(_WORKERS))):
        out.paste(part, (0, rows[i]))
    return out
