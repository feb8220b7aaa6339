"""Synthetic images for the ML tests: known text drawn with the TrueType font bundled in Pillow
(``ImageFont.load_default(size=...)``, Aileron Regular, needs Pillow's FreeType support, which
every Pillow wheel has) on a light photo-like background (gradient + Gaussian noise)."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

# the layer's package is importable as in Lambda (/opt/python) without PYTHONPATH too
_LAYER = Path(__file__).resolve().parents[3] / "layers" / "ml"
if str(_LAYER) not in sys.path:
    sys.path.insert(0, str(_LAYER))


@dataclass
class Drawn:
    text: str
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 of the ink, from ImageDraw.textbbox


def background(w: int, h: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    bg = np.stack([200 + 40 * x / w, 215 + 25 * y / h, 185 + 50 * (x + y) / (w + h)], axis=-1) + rng.normal(
        0, 6, (h, w, 3)
    )
    return Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8))


def font(size: int) -> ImageFont.FreeTypeFont:
    f = ImageFont.load_default(size=size)
    assert isinstance(f, ImageFont.FreeTypeFont), "Pillow without FreeType: no scalable font"
    return f


def draw_lines(img: Image.Image, lines: list[tuple[str, int, tuple[int, int]]]) -> list[Drawn]:
    d = ImageDraw.Draw(img)
    out = []
    for text, size, pos in lines:
        f = font(size)
        d.text(pos, text, font=f, fill=(25, 25, 35))
        out.append(Drawn(text, tuple(int(v) for v in d.textbbox(pos, text, font=f))))
    return out


LINES = [
    ("Invoice number 40271", 56, (40, 40)),
    ("The quick brown fox jumps over", 40, (60, 150)),
    ("Total amount: 1,234.56 EUR", 32, (80, 250)),
    ("serverless image api", 26, (700, 400)),
    ("Hello World 2026", 48, (100, 500)),
    ("Shipped to Berlin on Monday", 22, (640, 620)),
]


@pytest.fixture(scope="session")
def text_image() -> tuple[Image.Image, list[Drawn]]:
    img = background(1280, 720)
    return img, draw_lines(img, LINES)


def jpeg_bytes(img: Image.Image, quality: int = 92, exif: Image.Exif | None = None) -> bytes:
    buf = io.BytesIO()
    kw = {"exif": exif} if exif is not None else {}
    img.save(buf, "JPEG", quality=quality, **kw)
    return buf.getvalue()


PARAGRAPH = [
    "Machine learning inference runs in a layer",
    "of its own, with onnxruntime and numpy only.",
    "The models come from the rapidocr wheel and",
    "nothing is downloaded at run time at all.",
    "Every prediction is stored per image, task",
    "and model version, and returned again later.",
    "Text detection, recognition and orientation",
    "are done without OpenCV, shapely, pyclipper.",
]


@pytest.fixture(scope="session")
def paragraph_image() -> Image.Image:
    img = background(900, 700, seed=3)
    draw_lines(img, [(t, 30, (30, 30 + 80 * i)) for i, t in enumerate(PARAGRAPH)])
    return img
