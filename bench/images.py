"""Deterministic, photo-like test images, generated once into bench/.work/images.

Photo-like means: smooth gradients and large shapes (what a camera sees), hard edges (what the
resampling filter must keep), and fine grain noise everywhere (what makes a camera JPEG's
entropy-coded data as dense as a real one's, so decode times are realistic).
"""

from __future__ import annotations

import io
import random
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from bench.common import WORK

IMAGES = WORK / "images"

# name -> (width, height, format, mode)
RENDITION_IMAGES = {
    "jpeg_8000x6000": (8000, 6000, "JPEG", "RGB"),
    "jpeg_4000x3000": (4000, 3000, "JPEG", "RGB"),
    "jpeg_7360x4912": (7360, 4912, "JPEG", "RGB"),
    "png_2000x1500_rgba": (2000, 1500, "PNG", "RGBA"),
    "webp_3000x2000": (3000, 2000, "WEBP", "RGB"),
}
EXTRA_IMAGES = {
    "jpeg_50mp": (8660, 5773, "JPEG", "RGB"),  # 49 994 180 pixels: just under the 50 MP limit
    "jpeg_12mp": (4000, 3000, "JPEG", "RGB"),
}
_EXT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def _noise_tile(rng: random.Random, size: int = 509, amplitude: float = 0.10) -> Image.Image:
    tile = Image.frombytes("RGB", (size, size), rng.randbytes(size * size * 3))
    # uniform 0..255 -> 128 +- 12.8: grain, centred on 128 for ImageChops.add(offset=-128)
    return tile.point(lambda v: round(128 + (v - 128) * amplitude))


def photo(width: int, height: int, seed: int = 7, mode: str = "RGB", grain: float = 0.10) -> Image.Image:
    rng = random.Random(seed)
    small_w, small_h = max(8, width // 16), max(8, height // 16)
    # Low-frequency content at 1/16 scale: gradients and soft blobs, then upscaled smoothly.
    r = Image.linear_gradient("L").resize((small_w, small_h))
    g = Image.radial_gradient("L").resize((small_w, small_h))
    b = Image.linear_gradient("L").rotate(90).resize((small_w, small_h))
    base = Image.merge("RGB", (r, g, b))
    draw = ImageDraw.Draw(base)
    for _ in range(40):
        x, y = rng.randrange(small_w), rng.randrange(small_h)
        rad = rng.randrange(2, max(3, small_w // 6))
        draw.ellipse((x - rad, y - rad, x + rad, y + rad), fill=tuple(rng.randrange(256) for _ in range(3)))
    base = base.filter(ImageFilter.GaussianBlur(2)).resize((width, height), Image.Resampling.BICUBIC)
    # Hard edges at full resolution.
    draw = ImageDraw.Draw(base)
    for _ in range(60):
        x, y = rng.randrange(width), rng.randrange(height)
        w, h = rng.randrange(width // 40, width // 6), rng.randrange(height // 40, height // 6)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle((x, y, x + w, y + h), outline=colour, width=max(2, width // 800))
        else:
            draw.line((x, y, x + w, y + h), fill=colour, width=max(2, width // 1000))
    # Grain: a tiled noise layer added everywhere.
    tile = _noise_tile(rng, amplitude=grain)
    noise = Image.new("RGB", (width, height))
    for ty in range(0, height, tile.height):
        for tx in range(0, width, tile.width):
            noise.paste(tile, (tx, ty))
    img = ImageChops.add(base, noise, 1.0, -128)
    if mode == "RGBA":
        alpha = (
            Image.radial_gradient("L")
            .resize((width, height))
            .point(lambda v: 255 if v < 160 else max(0, 255 - (v - 160) * 4))
        )
        img.putalpha(alpha)
    return img


def _save(img: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.save(buf, "JPEG", quality=90)  # a camera-like quality, 4:2:0
    elif fmt == "WEBP":
        img.save(buf, "WEBP", quality=90, method=4)
    else:
        img.save(buf, "PNG", compress_level=6)
    return buf.getvalue()


def path_for(name: str) -> Path:
    spec = {**RENDITION_IMAGES, **EXTRA_IMAGES}[name]
    return IMAGES / f"{name}.{_EXT[spec[2]]}"


def ensure(name: str) -> Path:
    path = path_for(name)
    if path.exists():
        return path
    w, h, fmt, mode = {**RENDITION_IMAGES, **EXTRA_IMAGES}[name]
    IMAGES.mkdir(parents=True, exist_ok=True)
    data = _save(photo(w, h, seed=len(name) * 31 + w, mode=mode), fmt)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def largest_png(max_pixels: int, max_bytes: int) -> Path:
    """The largest PNG the pixel limit admits that still fits the upload size limit: an RGBA
    picture of max_pixels pixels (4:3) with content that compresses under max_bytes."""
    w = int((max_pixels * 4 / 3) ** 0.5)
    h = max_pixels // w
    path = IMAGES / f"png_{w}x{h}_rgba_limit.png"
    if path.exists():
        return path
    IMAGES.mkdir(parents=True, exist_ok=True)
    # Low grain so it compresses under the upload limit (a 50 MP photo as PNG would not).
    for grain in (0.02, 0.0):
        img = photo(w, h, seed=11, mode="RGBA", grain=grain)
        data = _save(img, "PNG")
        if len(data) <= max_bytes:
            break
    path.write_bytes(data)
    return path
