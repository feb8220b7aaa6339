"""Text-line recognition with PP-OCRv4 rec and CTC greedy decoding.

Each detected quadrilateral is rectified with Pillow's QUAD transform (bicubic), turned upright
if it is much taller than wide, optionally flipped by the 0/180 text-line classifier (PP-OCR
mobile v2.0 cls), resized to height 48 keeping its aspect ratio, and batched with lines of
similar width (sorted by aspect ratio, padded to the widest of the batch, at least 320). The
dictionary comes from the rec model's own metadata (``character``), with the CTC blank at index 0
and a space appended, as PaddleOCR does.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from . import models

REC_HEIGHT = 48
REC_MIN_WIDTH = 320
REC_MAX_WIDTH = 48 * 40  # bound the work for absurdly long boxes
BATCH = 6
WIDTH_SLACK = 1.3
CLS_SHAPE = (48, 192)
CLS_THRESH = 0.9

_charset: list[str] | None = None


def charset() -> list[str]:
    global _charset
    if _charset is None:
        chars = models.metadata_list(models.REC_FILE, "character")
        _charset = ["<blank>", *chars, " "]
    return _charset


def crop(image: Image.Image, quad: np.ndarray) -> Image.Image:
    """Rectify one quadrilateral (tl, tr, br, bl) into an upright RGB crop."""
    q = np.asarray(quad, dtype=np.float64)
    w = int(max(np.linalg.norm(q[0] - q[1]), np.linalg.norm(q[2] - q[3])))
    h = int(max(np.linalg.norm(q[0] - q[3]), np.linalg.norm(q[1] - q[2])))
    w, h = max(w, 1), max(h, 1)
    # Pillow's QUAD data: upper-left, lower-left, lower-right, upper-right
    data = (*q[0], *q[3], *q[2], *q[1])
    out = image.transform((w, h), Image.Transform.QUAD, data=data, resample=Image.Resampling.BICUBIC)
    if h / w >= 1.5:
        out = out.transpose(Image.Transpose.ROTATE_90)
    return out


def _norm(img: Image.Image, height: int, width: int, pad_to: int) -> np.ndarray:
    """Resize to (width, height), normalise to [-1, 1] in BGR/CHW, zero-pad to ``pad_to``."""
    arr = np.asarray(img.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)[:, :, ::-1]
    out = np.zeros((3, height, pad_to), dtype=np.float32)
    out[:, :, :width] = arr.transpose(2, 0, 1) * np.float32(2.0 / 255.0) - np.float32(1.0)
    return out


def classify_180(crops: list[Image.Image]) -> list[Image.Image]:
    """Flip crops the 0/180 line classifier finds upside down (prob >= CLS_THRESH)."""
    if not crops:
        return crops
    sess = models.session(models.CLS_FILE)
    name = sess.get_inputs()[0].name
    ch, cw = CLS_SHAPE
    out = list(crops)
    order = np.argsort([c.width / c.height for c in crops], kind="stable")
    for b in range(0, len(order), BATCH):
        idx = order[b : b + BATCH]
        batch = []
        for i in idx:
            c = crops[i]
            rw = min(cw, math.ceil(ch * c.width / c.height))
            batch.append(_norm(c.convert("RGB"), ch, max(1, rw), cw))
        probs = sess.run(None, {name: np.stack(batch)})[0]
        for i, p in zip(idx, probs, strict=True):
            if int(np.argmax(p)) == 1 and float(p[1]) >= CLS_THRESH:
                out[i] = crops[i].transpose(Image.Transpose.ROTATE_180)
    return out


def ctc_decode(probs: np.ndarray, chars: list[str]) -> list[tuple[str, float]]:
    """Greedy CTC: argmax per step, collapse repeats, drop blanks; confidence = mean max prob."""
    idx = probs.argmax(axis=2)
    mx = probs.max(axis=2)
    results = []
    for seq, p in zip(idx, mx, strict=True):
        keep = np.ones(len(seq), dtype=bool)
        keep[1:] = seq[1:] != seq[:-1]
        keep &= seq != 0
        text = "".join(chars[i] for i in seq[keep])
        conf = float(p[keep].mean()) if keep.any() else 0.0
        results.append((text, conf))
    return results


def width_batches(ratios: list[float]) -> list[list[int]]:
    """Group line indices by similar width: sorted by aspect ratio, a batch holds at most BATCH
    lines and closes when the next line would be more than WIDTH_SLACK times as wide as the
    batch's narrowest (padding is wasted compute). Lines up to REC_MIN_WIDTH count as that."""
    order = sorted(range(len(ratios)), key=lambda i: ratios[i])
    floor = REC_MIN_WIDTH / REC_HEIGHT
    batches: list[list[int]] = []
    for i in order:
        r = max(floor, ratios[i])
        if batches and len(batches[-1]) < BATCH and r <= WIDTH_SLACK * max(floor, ratios[batches[-1][0]]):
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def recognize(crops: list[Image.Image]) -> list[tuple[str, float]]:
    if not crops:
        return []
    sess = models.session(models.REC_FILE)
    name = sess.get_inputs()[0].name
    chars = charset()
    ratios = [c.width / max(1, c.height) for c in crops]
    results: list[tuple[str, float]] = [("", 0.0)] * len(crops)
    for idx in width_batches(ratios):
        widths = [max(1, min(REC_MAX_WIDTH, math.ceil(REC_HEIGHT * ratios[i]))) for i in idx]
        pad_to = max(REC_MIN_WIDTH, max(widths))
        batch = np.stack(
            [_norm(crops[i].convert("RGB"), REC_HEIGHT, w, pad_to) for i, w in zip(idx, widths, strict=True)]
        )
        probs = sess.run(None, {name: batch})[0]
        for i, res in zip(idx, ctc_decode(probs, chars), strict=True):
            results[int(i)] = res
    return results
